// Micro-benchmark of the HTTP codec: ns per request for the gateway's hot
// path (parse a request head, write the forwarded request, parse the
// instance's response head, write it back), and the chunked decoder's speed.
//
//   build/bench/bench_http [iterations]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <shoal/pool/http/body_reader.hpp>
#include <shoal/pool/http/request_parser.hpp>
#include <shoal/pool/http/response_parser.hpp>
#include <shoal/pool/http/writer.hpp>

using namespace shoal::pool::http;

namespace {

// What wrk and a browser-like client send.
constexpr std::string_view kRequest =
    "GET /catalog/items/42?fields=name,price HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Cookie: session=0123456789abcdef; theme=dark\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 27\r\n"
    "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
    "\r\n"
    "{\"id\":42,\"name\":\"a thing\"}\n";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 2000000;
  RequestParser requests;
  ResponseParser responses;
  RequestHead request;
  ResponseHead response;
  std::string out;
  size_t sink = 0;

  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    if (!requests.parse(kRequest, request).complete()) return 1;
    sink += request.headers.size();
  }
  double parse_ns = seconds_since(t0) * 1e9 / static_cast<double>(iterations);

  t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    if (!requests.parse(kRequest, request).complete()) return 1;
    out.clear();
    write_forwarded_request(out, request, RequestForward{"10.0.0.7", {}, forward_body(request), false});
    if (!responses.parse(kResponse, request.method_kind, response).complete()) return 1;
    BodyReader body(response.body);
    size_t bytes = 0;
    body.read_all(kResponse.substr(response.head_bytes), [&](std::string_view d) { bytes += d.size(); });
    out.clear();
    write_forwarded_response(out, response, ResponseForward{{}, forward_body(response, request.version),
                                                            request.version, !request.keeps_alive()});
    sink += out.size() + bytes;
  }
  double round_ns = seconds_since(t0) * 1e9 / static_cast<double>(iterations);

  // 1 MiB of chunked body in 4 KiB chunks.
  std::string chunked;
  std::string piece(4096, 'x');
  for (int i = 0; i < 256; ++i) append_chunk(chunked, piece);
  append_last_chunk(chunked);
  const long body_rounds = std::max(1L, iterations / 2000);
  t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < body_rounds; ++i) {
    BodyReader body(BodyFraming{BodyKind::chunked, 0});
    auto s = body.read_all(chunked, [&](std::string_view d) { sink += d.size(); });
    if (s.status != BodyStatus::done) return 1;
  }
  double chunked_gbs = static_cast<double>(chunked.size()) * static_cast<double>(body_rounds) / seconds_since(t0) / 1e9;

  std::printf("http: parse request head (%zu bytes, %zu fields): %.0f ns/request\n", kRequest.size(),
              request.headers.size(), parse_ns);
  std::printf("http: parse + forward request, parse + read + forward response: %.0f ns/request\n", round_ns);
  // Data is handed out as views, not copied: this is the cost of the framing alone.
  std::printf("http: chunked decoding (4 KiB chunks, data as views): %.2f GB/s\n", chunked_gbs);
  return sink == 0 ? 1 : 0;
}
