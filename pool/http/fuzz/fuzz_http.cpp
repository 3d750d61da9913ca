// libFuzzer target for the gateway's HTTP codec: every parser on hostile
// bytes, with invariants checked (a failed check aborts = a crash report).
//
// Byte 0 picks the part (and the request method for responses), byte 1 the
// piece size of the split run, byte 2 the limits; the rest is the input:
//   0 request stream   pipelined requests with their bodies, parsed from the
//                      whole buffer and again fed in pieces: same verdicts;
//                      every complete head, forwarded, parses again
//   1 response stream  the same for responses (the request method varies)
//   2 chunked body     decoded whole and in pieces: same bytes, same verdict
//   3 JSON             split_json_array: ranges in order, each valid JSON;
//                      is_json agrees with nlohmann::json::accept; joiners
//                      always produce valid JSON
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <shoal/pool/http/body_reader.hpp>
#include <shoal/pool/http/json_compose.hpp>
#include <shoal/pool/http/request_parser.hpp>
#include <shoal/pool/http/response_parser.hpp>
#include <shoal/pool/http/writer.hpp>

using namespace shoal::pool::http;

namespace {

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "fuzz_http: check failed at line %d: %s\n", __LINE__, #cond); \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Small limits chosen by an input byte, so the fuzzer reaches every limit,
// and exactly, with short inputs.
Limits limits_from(uint8_t selector) {
  Limits l;
  l.max_request_line = 24 + (selector & 15) * 12u;      // 24..204
  l.max_head_bytes = 64 + ((selector >> 4) & 15) * 32u;  // 64..544
  l.max_headers = 3 + (selector & 7);
  l.max_body = 50 + selector * 4u;
  l.max_chunk_line = 8 + (selector & 7) * 4u;
  l.max_trailer_bytes = 16 + (selector >> 3) * 4u;
  return l;
}

// One message seen in a stream: what a gateway would act on.
struct Event {
  int kind;  // 0 head, 1 head error, 2 body done, 3 body error, 4 need more at the end
  int status;
  size_t offset;  // stream offset where the event happened
  std::string body;
  bool operator==(const Event&) const = default;
};

// Feeds `stream` to a connection-like loop in pieces of `step` bytes (0: all
// at once) and records the events. `is_request` picks the parser.
std::vector<Event> run_stream(std::string_view stream, size_t step, bool is_request, Method method,
                              const Limits& limits) {
  RequestParser requests(limits);
  ResponseParser responses(limits);
  RequestHead rh;
  ResponseHead sh;
  BodyReader body;
  bool in_body = false;
  std::string buffer;  // unprocessed bytes, compacted as a connection does
  size_t base = 0;     // stream offset of buffer[0]
  size_t offered = 0;
  std::vector<Event> events;
  std::string body_bytes;
  while (true) {
    size_t take = step == 0 ? stream.size() - offered : std::min(step, stream.size() - offered);
    buffer.append(stream.substr(offered, take));
    offered += take;
    bool progress = true;
    while (progress) {
      progress = false;
      if (!in_body) {
        ParseResult r = is_request ? requests.parse(buffer, rh) : responses.parse(buffer, method, sh);
        if (r.status == ParseStatus::error) {
          CHECK(r.error_status >= 400 && r.error_status <= 505 && !r.error.empty());
          events.push_back({1, r.error_status, base, {}});
          return events;
        }
        if (r.status == ParseStatus::need_more) break;
        CHECK(r.consumed > 0 && r.consumed <= buffer.size());
        BodyFraming framing;
        if (is_request) {
          CHECK(rh.head_bytes == r.consumed);
          CHECK(inside(rh.method, buffer) && inside(rh.target, buffer) && inside(rh.host, buffer));
          CHECK(rh.path == "/" || inside(rh.path, buffer));
          for (const Header& h : rh.headers) CHECK(inside(h.name, buffer) && inside(h.value, buffer) && !h.name.empty());
          CHECK(rh.headers.size() <= limits.max_headers);
          CHECK(rh.body.kind != BodyKind::until_close);
          // What the gateway would send on must be a valid request too.
          std::string out;
          Header set[] = {{"X-Request-Id", "1"}};
          write_forwarded_request(out, rh, RequestForward{"10.0.0.1", set, forward_body(rh), false});
          RequestParser again;
          RequestHead h2;
          ParseResult r2 = again.parse(out, h2);
          CHECK(r2.complete());
          CHECK(r2.consumed == out.size());
          CHECK(h2.method == rh.method && h2.path == rh.path && h2.host == rh.host);
          CHECK(h2.body.kind == rh.body.kind && h2.body.length == rh.body.length);
          framing = rh.body;
        } else {
          CHECK(sh.head_bytes == r.consumed && sh.status >= 100 && sh.status <= 599);
          for (const Header& h : sh.headers) CHECK(inside(h.name, buffer) && inside(h.value, buffer));
          std::string out;
          write_forwarded_response(out, sh, ResponseForward{{}, forward_body(sh, Version::http11), Version::http11, false});
          ResponseParser again;
          ResponseHead h2;
          CHECK(again.parse(out, method, h2).complete());
          CHECK(h2.status == sh.status);
          framing = sh.body;
        }
        events.push_back({0, 0, base, {}});
        buffer.erase(0, r.consumed);
        base += r.consumed;
        body.reset(framing, limits);
        body_bytes.clear();
        in_body = true;
        progress = true;
      }
      if (in_body) {
        BodyStep s = body.read_all(buffer, [&](std::string_view d) {
          CHECK(inside(d, buffer));
          body_bytes.append(d);
        });
        CHECK(s.consumed <= buffer.size());
        CHECK(body_bytes.size() <= limits.max_body);
        buffer.erase(0, s.consumed);
        base += s.consumed;
        if (s.status == BodyStatus::error) {
          CHECK(s.error_status == 400 || s.error_status == 413 || s.error_status == 431);
          events.push_back({3, s.error_status, base, body_bytes});
          return events;
        }
        if (s.status == BodyStatus::done) {
          events.push_back({2, 0, base, body_bytes});
          in_body = false;
          progress = !buffer.empty();
          if (!is_request && sh.interim()) continue;
        }
      }
    }
    if (offered == stream.size()) break;
  }
  if (in_body && body.finish_at_eof()) {
    events.push_back({2, 0, base + buffer.size(), body_bytes});
  } else {
    events.push_back({4, 0, base, {}});
  }
  return events;
}

void fuzz_streams(std::string_view in, size_t step, bool is_request, Method method, const Limits& limits) {
  std::vector<Event> whole = run_stream(in, 0, is_request, method, limits);
  std::vector<Event> pieces = run_stream(in, step, is_request, method, limits);
  if (whole != pieces) {
    std::fprintf(stderr, "fuzz_http: %zu events whole, %zu in steps of %zu\n", whole.size(), pieces.size(), step);
    CHECK(whole == pieces);
  }
}

void fuzz_chunked(std::string_view in, size_t step, const Limits& limits) {
  auto decode = [&](size_t piece) {
    BodyReader reader(BodyFraming{BodyKind::chunked, 0}, limits);
    std::string data, pending;
    size_t offered = 0, used = 0;
    BodyStep last;
    do {
      size_t take = piece == 0 ? in.size() : std::min(piece, in.size() - offered);
      pending.append(in.substr(offered, take));
      offered += take;
      last = reader.read_all(pending, [&](std::string_view d) { data.append(d); });
      CHECK(last.consumed <= pending.size());
      pending.erase(0, last.consumed);
      used += last.consumed;
    } while (last.status == BodyStatus::in_progress && offered < in.size());
    CHECK(used <= in.size() && data.size() <= used && data.size() <= limits.max_body);
    CHECK(reader.body_bytes() == data.size());
    return std::make_tuple(last.status, last.error_status, used, data);
  };
  auto a = decode(0);
  auto b = decode(step);
  CHECK(std::get<0>(a) == std::get<0>(b));
  CHECK(std::get<1>(a) == std::get<1>(b));
  CHECK(std::get<3>(a) == std::get<3>(b));
  if (std::get<0>(a) == BodyStatus::done) CHECK(std::get<2>(a) == std::get<2>(b));
  // Re-encoding what was decoded decodes to the same bytes.
  if (std::get<0>(a) == BodyStatus::done) {
    std::string encoded;
    append_chunk(encoded, std::get<3>(a));
    append_last_chunk(encoded);
    BodyReader reader(BodyFraming{BodyKind::chunked, 0}, limits);
    std::string again;
    CHECK(reader.read_all(encoded, [&](std::string_view d) { again.append(d); }).status == BodyStatus::done);
    CHECK(again == std::get<3>(a));
  }
}

// The oracle: nlohmann::json, except that a number past the range of a
// double (its out_of_range error 406) is valid, as the JSON grammar (and so
// the gateway, which never converts numbers) has it. nlohmann stops at that
// number, so it is replaced by 0 and the rest is checked again.
bool valid_json(std::string_view input) {
  std::string text(input);
  for (int attempt = 0; attempt < 64; ++attempt) {
    try {
      (void)nlohmann::json::parse(text);
      return true;
    } catch (const nlohmann::json::out_of_range& e) {
      if (e.id != 406) return false;
      // "... number overflow parsing '<token>'"
      std::string what = e.what();
      size_t open = what.find('\'');
      size_t close = what.rfind('\'');
      if (open == std::string::npos || close <= open) return false;
      size_t at = text.find(what.substr(open + 1, close - open - 1));
      if (at == std::string::npos) return false;
      text.replace(at, close - open - 1, "0 ");  // the space keeps it from joining what follows
    } catch (const nlohmann::json::exception&) {
      return false;
    }
  }
  return false;
}

void fuzz_json(std::string_view in, size_t cut) {
  auto ranges = split_json_array(in);
  if (ranges.ok()) {
    size_t previous_end = 0;
    std::vector<std::string_view> parts;
    for (const ByteRange& r : ranges.value()) {
      CHECK(r.offset >= previous_end && r.length > 0 && r.offset + r.length <= in.size());
      previous_end = r.offset + r.length;
      CHECK(is_json(r.of(in)));
      parts.push_back(r.of(in));
    }
    CHECK(valid_json(in));  // a NUL ends nlohmann's input: never after a valid array
    CHECK(valid_json(join_json_array(parts)));
  }
  // nlohmann skips a UTF-8 byte order mark, stops at a NUL byte as if the
  // input ended there, and has no depth limit; compare only where none of
  // these differences can matter.
  size_t openers = 0;
  for (char c : in) openers += (c == '[' || c == '{');
  bool bom = in.size() >= 3 && in.substr(0, 3) == "\xef\xbb\xbf";
  bool nul = in.find('\0') != std::string_view::npos;
  if (openers < 60 && !bom && !nul) CHECK(is_json(in) == valid_json(in));

  std::string quoted;
  append_json_string(quoted, in);
  CHECK(valid_json(quoted));
  cut = std::min(cut, in.size());
  std::string_view halves[] = {in.substr(0, cut), in.substr(cut)};
  CHECK(valid_json(join_json_array(halves)));
  NamedBody members[] = {{halves[1], halves[0]}, {"b", in}};
  CHECK(valid_json(join_json_object(members)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t mode = data[0] & 3;
  const Method methods[] = {Method::get, Method::head, Method::post, Method::other};
  const Method method = methods[(data[0] >> 2) & 3];
  const size_t step = 1 + (data[1] % 17);  // piece size for the split run
  const Limits limits = limits_from(data[2]);
  std::string_view in(reinterpret_cast<const char*>(data) + 3, size - 3);
  switch (mode) {
    case 0:
      fuzz_streams(in, step, true, method, limits);
      break;
    case 1:
      fuzz_streams(in, step, false, method, limits);
      break;
    case 2:
      fuzz_chunked(in, step, limits);
      break;
    case 3:
      fuzz_json(in, data[1]);
      break;
  }
  return 0;
}
