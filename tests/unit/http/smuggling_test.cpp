// Request smuggling: every way of making two parsers disagree on where a
// message ends must be refused, not resolved by picking one reading.
#include <gtest/gtest.h>

#include <shoal/pool/http/body_reader.hpp>
#include <shoal/pool/http/request_parser.hpp>
#include <shoal/pool/http/writer.hpp>

#include "test_util.hpp"

namespace shoal::pool::http {
namespace {

using namespace std::literals;
using test::parse_request;

int status_of(std::string_view text) {
  RequestHead h;
  ParseResult r = parse_request(text, h);
  return r.failed() ? r.error_status : 0;
}

TEST(Smuggling, ContentLengthAndTransferEncoding) {
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: CHUNKED\r\ncontent-length: 0\r\n\r\n"), 400);
  // Even when the coding is one we would refuse anyway: both present is 400 first.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: gzip\r\n\r\n"), 400);
}

TEST(Smuggling, ConflictingContentLengths) {
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4, 5\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4,\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ,4\r\n\r\n"), 400);
  // Equal repeats are one length.
  RequestHead h;
  ASSERT_TRUE(parse_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 4, 4\r\n\r\n", h)
                  .complete());
  EXPECT_EQ(h.body.length, 4u);
}

TEST(Smuggling, MalformedContentLength) {
  for (std::string_view v : {"-1", "+4", "0x10", "4.0", "4 4", "", "1e3", "4a", "99999999999999999999",
                             "18446744073709551616"}) {
    std::string text = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::string(v) + "\r\n\r\n";
    EXPECT_EQ(status_of(text), 400) << v;
  }
  // The largest value parses, then is over the body limit.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n"), 413);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 000000000000000000000000005\r\n\r\n"), 0);
}

TEST(Smuggling, ObfuscatedTransferEncoding) {
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;x=1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \"chunked\"\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n chunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n"), 501);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\x0b\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  // Whitespace around the value is not part of it.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\tchunked \r\n\r\n"), 0);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked\r\n\r\n"), 0);
}

TEST(Smuggling, LineEndTricks) {
  // A header hidden behind a bare CR must not become a field of its own.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nX: y\rContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\n\rContent-Length: 5\r\n\r\n"), 400);
  // NUL in a name or value.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length\0: 5\r\n\r\n"sv), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\0\r\n\r\n"sv), 400);
}

// Decodes a chunked body; returns the error status (0 if fine).
int chunked_status(std::string_view body, std::string* decoded = nullptr) {
  BodyReader r(BodyFraming{BodyKind::chunked, 0});
  std::string data;
  BodyStep s = r.read_all(body, [&](std::string_view d) { data.append(d); });
  if (decoded) *decoded = data;
  if (s.status == BodyStatus::error) return s.error_status;
  return s.status == BodyStatus::done ? 0 : -1;
}

TEST(Smuggling, ChunkedBodyTricks) {
  EXPECT_EQ(chunked_status("5\r\nhello\r\n0\r\n\r\n"), 0);
  EXPECT_EQ(chunked_status("5\r\nhelloX\r\n0\r\n\r\n"), 400);          // more data than the size
  EXPECT_EQ(chunked_status("-5\r\nhello\r\n0\r\n\r\n"), 400);          // negative size
  EXPECT_EQ(chunked_status("0x5\r\nhello\r\n0\r\n\r\n"), 400);         // 0x prefix
  EXPECT_EQ(chunked_status("+5\r\nhello\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status(" 5\r\nhello\r\n0\r\n\r\n"), 400);          // leading space
  EXPECT_EQ(chunked_status("5\rhello\r\n0\r\n\r\n"), 400);             // bare CR after the size
  EXPECT_EQ(chunked_status("5;a=\rb\r\nhello\r\n0\r\n\r\n"), 400);     // bare CR in an extension
  EXPECT_EQ(chunked_status("5\r\nhello\r\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("10000000000000000\r\n"), 400);             // 2^64: overflow
  EXPECT_EQ(chunked_status("ffffffffffffffff\r\n"), 413);              // fits, over the limit
  EXPECT_EQ(chunked_status("5\r\nhello\r\n0\r\nX: y\r\n bad fold\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("5\r\nhello\r\n0\r\nX : y\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("5\r\nhello\r\n0\r\n\rX\r\n\r\n"), 400);
}

TEST(Smuggling, ForwardedRequestsAreReframed) {
  // Whatever the client's framing, the instance sees one Content-Length (or
  // chunked written by us) and none of the client's framing fields.
  std::string text =
      "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
      "5;ext=1\r\nhello\r\n0\r\nTrailer-Field: x\r\n\r\n";
  RequestHead h;
  ParseResult r = parse_request(text, h);
  ASSERT_TRUE(r.complete());
  BodyReader body(h.body);
  std::string decoded;
  BodyStep s = body.read_all(std::string_view(text).substr(r.consumed), [&](std::string_view d) { decoded += d; });
  ASSERT_EQ(s.status, BodyStatus::done);
  EXPECT_EQ(r.consumed + s.consumed, text.size());
  std::string out;
  write_forwarded_request(out, h, RequestForward{{}, {}, OutBody::of_length(decoded.size()), false});
  out += decoded;
  EXPECT_EQ(out, "POST /p HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello");
}

}  // namespace
}  // namespace shoal::pool::http
