// Request heads: well-formed requests, pipelining, partial feeds, every error.
#include <gtest/gtest.h>

#include <shoal/pool/http/request_parser.hpp>

#include "test_util.hpp"

namespace shoal::pool::http {
namespace {

using namespace std::literals;
using test::parse_request;
using test::parse_request_in_steps;

constexpr std::string_view kGet =
    "GET /items/42?x=1 HTTP/1.1\r\n"
    "Host: shop.example:8080\r\n"
    "User-Agent: test\r\n"
    "Accept:  */*  \r\n"
    "X-Empty:\r\n"
    "\r\n";

TEST(RequestParser, ParsesASimpleGet) {
  RequestHead h;
  ParseResult r = parse_request(kGet, h);
  ASSERT_EQ(r.status, ParseStatus::complete) << r.error;
  EXPECT_EQ(r.consumed, kGet.size());
  EXPECT_EQ(h.head_bytes, kGet.size());
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.method_kind, Method::get);
  EXPECT_EQ(h.target, "/items/42?x=1");
  EXPECT_EQ(h.path, "/items/42?x=1");
  EXPECT_EQ(h.version, Version::http11);
  EXPECT_EQ(h.host, "shop.example:8080");
  ASSERT_EQ(h.headers.size(), 4u);
  EXPECT_EQ(h.headers[2].name, "Accept");
  EXPECT_EQ(h.headers[2].value, "*/*");  // surrounding whitespace trimmed
  EXPECT_EQ(h.headers[3].value, "");
  EXPECT_EQ(h.body.kind, BodyKind::none);
  EXPECT_TRUE(h.keeps_alive());
  EXPECT_FALSE(h.expect_continue);
}

TEST(RequestParser, HeaderLookupIsCaseInsensitive) {
  RequestHead h;
  ASSERT_TRUE(parse_request(kGet, h).complete());
  EXPECT_EQ(h.header("user-agent"), "test");
  EXPECT_EQ(h.header("USER-AGENT"), "test");
  EXPECT_EQ(h.header("x-empty"), "");
  EXPECT_FALSE(h.header("user-agen").has_value());
  EXPECT_FALSE(h.header("cookie").has_value());
}

TEST(RequestParser, EveryPrefixNeedsMore) {
  for (size_t n = 0; n < kGet.size(); ++n) {
    RequestHead h;
    EXPECT_EQ(parse_request(kGet.substr(0, n), h).status, ParseStatus::need_more) << n;
  }
}

TEST(RequestParser, ByteByByteGivesTheSameHead) {
  for (size_t step : {1, 2, 3, 7, 16}) {
    RequestHead h;
    std::string buffer;
    ParseResult r = parse_request_in_steps(kGet, step, h, buffer);
    ASSERT_EQ(r.status, ParseStatus::complete) << "step " << step;
    EXPECT_EQ(r.consumed, kGet.size());
    EXPECT_EQ(h.target, "/items/42?x=1");
    EXPECT_EQ(h.host, "shop.example:8080");
    ASSERT_EQ(h.headers.size(), 4u);
    EXPECT_EQ(h.headers[1].value, "test");
  }
}

TEST(RequestParser, PipelinedRequestsOneAfterAnother) {
  std::string buf =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
      "HEAD /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  RequestParser parser;
  RequestHead h;
  std::string_view rest = buf;

  ParseResult r = parser.parse(rest, h);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(h.target, "/a");
  rest.remove_prefix(r.consumed);

  r = parser.parse(rest, h);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(h.method_kind, Method::post);
  ASSERT_EQ(h.body.kind, BodyKind::length);
  ASSERT_EQ(h.body.length, 5u);
  EXPECT_EQ(rest.substr(r.consumed, 5), "hello");
  rest.remove_prefix(r.consumed + 5);

  r = parser.parse(rest, h);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(h.method_kind, Method::head);
  EXPECT_FALSE(h.keeps_alive());
  EXPECT_EQ(r.consumed, rest.size());
}

TEST(RequestParser, PipelinedRequestsArrivingByteByByte) {
  const std::string stream =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestParser parser;
  RequestHead h;
  std::string buffer;
  std::vector<std::string> targets;
  for (char c : stream) {
    buffer.push_back(c);
    ParseResult r = parser.parse(buffer, h);
    ASSERT_NE(r.status, ParseStatus::error);
    if (r.complete()) {
      targets.emplace_back(h.target);
      buffer.erase(0, r.consumed);  // the connection compacts its buffer
    }
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/1", "/2", "/3"}));
  EXPECT_TRUE(buffer.empty());
}

TEST(RequestParser, SkipsEmptyLinesBeforeTheRequestLine) {
  RequestHead h;
  std::string text = "\r\n\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
  ParseResult r = parse_request(text, h);
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.consumed, text.size());
  EXPECT_EQ(h.target, "/");
  EXPECT_EQ(parse_request("\r\n\r\n", h).status, ParseStatus::need_more);
  // A few, not a stream of them: each call skips them again.
  EXPECT_TRUE(parse_request("\n\n\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", h).complete());
  EXPECT_EQ(parse_request("\n\n\n\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", h).error_status, 400);
  EXPECT_EQ(parse_request(std::string(1000, '\n'), h).error_status, 400);
}

TEST(RequestParser, AcceptsBareLfLineEnds) {
  RequestHead h;
  std::string text = "GET /lf HTTP/1.1\nHost: h\nX: y\n\n";
  ParseResult r = parse_request(text, h);
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.consumed, text.size());
  EXPECT_EQ(h.header("x"), "y");
  // Mixed line ends too.
  EXPECT_TRUE(parse_request("GET / HTTP/1.1\r\nHost: h\n\r\n", h).complete());
}

TEST(RequestParser, RejectsBareCr) {
  RequestHead h;
  for (std::string_view text : {"GET / HTTP/1.1\rHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
                                "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n"}) {
    ParseResult r = parse_request(text, h);
    EXPECT_EQ(r.status, ParseStatus::error) << text;
    EXPECT_EQ(r.error_status, 400) << text;
  }
}

TEST(RequestParser, Http10DefaultsToClose) {
  RequestHead h;
  ASSERT_TRUE(parse_request("GET / HTTP/1.0\r\n\r\n", h).complete());  // no Host needed
  EXPECT_EQ(h.version, Version::http10);
  EXPECT_FALSE(h.keeps_alive());
  ASSERT_TRUE(parse_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", h).complete());
  EXPECT_TRUE(h.keeps_alive());
  ASSERT_TRUE(parse_request("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", h).complete());
  EXPECT_FALSE(h.keeps_alive());
}

TEST(RequestParser, Http11DefaultsToKeepAlive) {
  RequestHead h;
  ASSERT_TRUE(parse_request("GET / HTTP/1.1\r\nHost: h\r\n\r\n", h).complete());
  EXPECT_TRUE(h.keeps_alive());
  ASSERT_TRUE(parse_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n", h).complete());
  EXPECT_FALSE(h.keeps_alive());
  EXPECT_TRUE(h.connection.others);
  ASSERT_TRUE(parse_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: ws\r\n\r\n", h).complete());
  EXPECT_TRUE(h.keeps_alive());
  EXPECT_TRUE(h.connection.upgrade);
}

TEST(RequestParser, ExpectContinue) {
  RequestHead h;
  ASSERT_TRUE(parse_request("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n", h)
                  .complete());
  EXPECT_TRUE(h.expect_continue);
}

TEST(RequestParser, MethodNames) {
  EXPECT_EQ(to_method("GET"), Method::get);
  EXPECT_EQ(to_method("DELETE"), Method::delete_);
  EXPECT_EQ(to_method("OPTIONS"), Method::options);
  EXPECT_EQ(to_method("get"), Method::other);  // methods are case-sensitive
  EXPECT_EQ(to_method("GETS"), Method::other);
}

TEST(RequestParser, TargetForms) {
  RequestHead h;
  ASSERT_TRUE(parse_request("GET http://Example.com:81/p?q HTTP/1.1\r\nHost: other\r\n\r\n", h).complete());
  EXPECT_EQ(h.target, "http://Example.com:81/p?q");
  EXPECT_EQ(h.path, "/p?q");
  EXPECT_EQ(h.host, "Example.com:81");  // the authority wins over Host
  ASSERT_TRUE(parse_request("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n", h).complete());
  EXPECT_EQ(h.path, "/");
  ASSERT_TRUE(parse_request("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", h).complete());
  EXPECT_EQ(h.path, "*");
  ASSERT_TRUE(parse_request("PURGE /cache HTTP/1.1\r\nHost: h\r\n\r\n", h).complete());
  EXPECT_EQ(h.method_kind, Method::other);
  EXPECT_EQ(h.method, "PURGE");
}

struct BadRequest {
  std::string_view text;
  int status;
};

void expect_errors(std::initializer_list<BadRequest> cases, const Limits& limits = {}) {
  for (const BadRequest& c : cases) {
    RequestHead h;
    ParseResult r = parse_request(c.text, h, limits);
    EXPECT_EQ(r.status, ParseStatus::error) << c.text;
    EXPECT_EQ(r.error_status, c.status) << c.text << " -> " << r.error;
    EXPECT_FALSE(r.error.empty());
    // The same verdict however the bytes arrive.
    std::string buffer;
    ParseResult s = parse_request_in_steps(c.text, 1, h, buffer, limits);
    EXPECT_EQ(s.error_status, c.status) << "byte by byte: " << c.text;
  }
}

TEST(RequestParser, MalformedRequestLines) {
  expect_errors({
      {"G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},
      {"GET /\r\n\r\n", 400},  // HTTP/0.9
      {"GET / HTTP/1\r\nHost: h\r\n\r\n", 400},
      {"GET / http/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400},
      {"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET items HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET http:// HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET http://user@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {std::string_view("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", 28), 400},
  });
}

TEST(RequestParser, GarbageIsRefusedBeforeTheHeadEnds) {
  // A request line that cannot be valid is refused as soon as its LF arrives.
  RequestHead h;
  ParseResult r = parse_request("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n"sv, h);  // TLS to a plain port
  EXPECT_EQ(r.error_status, 400);
  r = parse_request("GET / HTTP/2.0\r\n", h);
  EXPECT_EQ(r.error_status, 505);
}

TEST(RequestParser, UnsupportedVersions) {
  expect_errors({
      {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
      {"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},
      {"GET / HTTP/0.9\r\n\r\n", 505},
      {"GET / HTTP/3.0\r\n\r\n", 505},
  });
}

TEST(RequestParser, MethodsTheGatewayRefuses) {
  expect_errors({
      {"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 405},
      {"TRACE / HTTP/1.1\r\nHost: h\r\n\r\n", 405},
  });
}

TEST(RequestParser, MalformedHeaderFields) {
  expect_errors({
      {"GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n\tb\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nNo colon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nX(y): z\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: z\r\n\r\n", 400},
      {std::string_view("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 36), 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: a b\r\n\r\n", 400},
  });
  // obs-text in a value is allowed (opaque bytes).
  RequestHead h;
  EXPECT_TRUE(parse_request("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\t!\r\n\r\n", h).complete());
}

TEST(RequestParser, ValueCharactersAtEveryOffset) {
  // Values are checked eight bytes at a time: put each kind of byte at every
  // offset of a long value, so both the fast and the byte-wise path see it.
  for (size_t at = 0; at < 24; ++at) {
    for (char bad : {'\0', '\x01', '\x1f', '\x7f', '\r'}) {
      std::string value(24, 'v');
      value[at] = bad;
      std::string text = "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n";
      RequestHead h;
      EXPECT_EQ(parse_request(text, h).error_status, 400) << at << " " << int(bad);
    }
    for (char fine : {'\t', ' ', '\x80', '\xff', '~'}) {
      std::string value(24, 'v');
      value[at] = fine;
      std::string text = "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n";
      RequestHead h;
      ASSERT_TRUE(parse_request(text, h).complete()) << at << " " << int(fine);
      std::string_view expect = value;
      while (!expect.empty() && (expect.front() == ' ' || expect.front() == '\t')) expect.remove_prefix(1);
      while (!expect.empty() && (expect.back() == ' ' || expect.back() == '\t')) expect.remove_suffix(1);
      EXPECT_EQ(h.header("x"), expect);
    }
  }
}

TEST(RequestParser, HostRules) {
  expect_errors({
      {"GET / HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400},
      {"GET http://h/ HTTP/1.1\r\n\r\n", 400},
  });
  RequestHead h;
  EXPECT_TRUE(parse_request("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", h).complete());
  EXPECT_EQ(h.host, "[::1]:8080");
  EXPECT_TRUE(parse_request("GET / HTTP/1.0\r\nHost: x\r\n\r\n", h).complete());
  EXPECT_EQ(h.host, "x");
}

TEST(RequestParser, BodyFraming) {
  RequestHead h;
  ASSERT_TRUE(parse_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_EQ(h.body.kind, BodyKind::none);
  ASSERT_TRUE(parse_request("POST / HTTP/1.1\r\nHost: h\r\ncontent-length:  12 \r\n\r\n", h).complete());
  EXPECT_EQ(h.body.kind, BodyKind::length);
  EXPECT_EQ(h.body.length, 12u);
  ASSERT_TRUE(parse_request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n", h).complete());
  EXPECT_EQ(h.body.kind, BodyKind::chunked);
}

TEST(RequestParser, RequestLineLimit414) {
  Limits limits;
  limits.max_request_line = 64;
  std::string long_target = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  expect_errors({{long_target, 414}}, limits);
  // Refused before the line ends: the client may never send the LF.
  RequestHead h;
  std::string partial = "GET /" + std::string(100, 'a');
  EXPECT_EQ(parse_request(partial, h, limits).error_status, 414);
  // Exactly at the limit is fine.
  std::string at_limit = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(at_limit.size(), 64u);
  EXPECT_TRUE(parse_request(at_limit + "\r\nHost: h\r\n\r\n", h, limits).complete());
  // Also byte by byte: the CR that may start the line end does not count.
  std::string buffer;
  EXPECT_TRUE(test::parse_request_in_steps(at_limit + "\r\nHost: h\r\n\r\n", 1, h, buffer, limits).complete());
  EXPECT_EQ(parse_request(at_limit + "\r", h, limits).status, ParseStatus::need_more);
  EXPECT_EQ(parse_request(at_limit + "a", h, limits).error_status, 414);
}

TEST(RequestParser, LineLimitAboveHeadLimit) {
  // A configuration where the line limit exceeds the head limit: the head
  // limit bounds both, and the verdict does not depend on how bytes arrive.
  Limits limits;
  limits.max_request_line = 600;
  limits.max_head_bytes = 512;
  std::string line = "GET /" + std::string(550, 'a') + " HTTP/1.1";
  expect_errors({{line + "\r\nHost: h\r\n\r\n", 414}}, limits);
  std::string fits = "GET /" + std::string(450, 'a') + " HTTP/1.1\r\nHost: h\r\nX: " + std::string(100, 'b');
  expect_errors({{fits + "\r\n\r\n", 431}}, limits);
}

TEST(RequestParser, HeadLimit431) {
  Limits limits;
  limits.max_head_bytes = 256;
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'v') + "\r\n\r\n";
  expect_errors({{big, 431}}, limits);
  // A head that never ends is refused once it passes the limit.
  RequestHead h;
  std::string endless = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'v');
  EXPECT_EQ(parse_request(endless, h, limits).error_status, 431);
  std::string endless_lines = "GET / HTTP/1.1\r\n";
  while (endless_lines.size() < 300) endless_lines += "A: b\r\n";
  EXPECT_EQ(parse_request(endless_lines, h, limits).error_status, 431);
  // Just under the limit is fine.
  std::string fits = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  fits += std::string(256 - fits.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 256u);
  EXPECT_TRUE(parse_request(fits, h, limits).complete());
}

TEST(RequestParser, TooManyHeaders431) {
  Limits limits;
  limits.max_headers = 5;
  std::string text = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 4; ++i) text += "X: " + std::to_string(i) + "\r\n";
  RequestHead h;
  EXPECT_TRUE(parse_request(text + "\r\n", h, limits).complete());
  EXPECT_EQ(h.headers.size(), 5u);
  expect_errors({{text + "Y: 5\r\n\r\n", 431}}, limits);
}

TEST(RequestParser, BodyLimit413) {
  Limits limits;
  limits.max_body = 1000;
  RequestHead h;
  EXPECT_TRUE(parse_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n", h, limits).complete());
  expect_errors({{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n", 413}}, limits);
}

TEST(RequestParser, UnknownTransferCoding501) {
  expect_errors({
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
  });
}

TEST(RequestParser, ResetsAfterAnErrorAndReusesHeaders) {
  RequestParser parser;
  RequestHead h;
  EXPECT_EQ(parser.parse("BAD\r\n\r\n", h).status, ParseStatus::error);
  ASSERT_TRUE(parser.parse(kGet, h).complete());
  EXPECT_EQ(h.headers.size(), 4u);
  ASSERT_TRUE(parser.parse("GET / HTTP/1.0\r\n\r\n", h).complete());
  EXPECT_TRUE(h.headers.empty());
}

}  // namespace
}  // namespace shoal::pool::http
