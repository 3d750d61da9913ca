// Response heads from instances: framing by status and method, interim
// responses, keep-alive, errors (all 502).
#include <gtest/gtest.h>

#include <shoal/pool/http/response_parser.hpp>

#include "test_util.hpp"

namespace shoal::pool::http {
namespace {

using test::parse_response;

TEST(ResponseParser, ContentLength) {
  ResponseHead h;
  std::string text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  ParseResult r = parse_response(text, h);
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.consumed, text.size() - 5);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.version, Version::http11);
  EXPECT_EQ(h.body.kind, BodyKind::length);
  EXPECT_EQ(h.body.length, 5u);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_EQ(h.header("content-type"), "text/plain");
  EXPECT_TRUE(h.keeps_alive());
  EXPECT_FALSE(h.interim());
}

TEST(ResponseParser, ChunkedAndUntilClose) {
  ResponseHead h;
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", h).complete());
  EXPECT_EQ(h.body.kind, BodyKind::chunked);
  EXPECT_TRUE(h.keeps_alive());
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nServer: old\r\n\r\n", h).complete());
  EXPECT_EQ(h.body.kind, BodyKind::until_close);
  EXPECT_FALSE(h.keeps_alive());  // the end of the body is the end of the connection
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_EQ(h.body.kind, BodyKind::none);
}

TEST(ResponseParser, NoBodyForHeadAnd1xx204And304) {
  ResponseHead h;
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", h, Method::head).complete());
  EXPECT_EQ(h.body.kind, BodyKind::none);
  EXPECT_EQ(h.content_length, 1234u);  // kept, to be forwarded
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", h, Method::head).complete());
  EXPECT_EQ(h.body.kind, BodyKind::none);
  ASSERT_TRUE(parse_response("HTTP/1.1 204 No Content\r\n\r\n", h).complete());
  EXPECT_EQ(h.body.kind, BodyKind::none);
  EXPECT_TRUE(h.keeps_alive());
  ASSERT_TRUE(parse_response("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", h).complete());
  EXPECT_EQ(h.body.kind, BodyKind::none);
  EXPECT_EQ(h.content_length, 99u);
}

TEST(ResponseParser, InterimResponsesThenTheFinalOne) {
  std::string text =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  ResponseParser parser;
  ResponseHead h;
  std::string_view rest = text;
  int interim = 0;
  for (;;) {
    ParseResult r = parser.parse(rest, Method::post, h);
    ASSERT_TRUE(r.complete()) << r.error;
    rest.remove_prefix(r.consumed);
    if (!h.interim()) break;
    EXPECT_EQ(h.body.kind, BodyKind::none);
    ++interim;
  }
  EXPECT_EQ(interim, 2);
  EXPECT_EQ(h.status, 201);
  EXPECT_EQ(rest, "ok");
}

TEST(ResponseParser, ReasonPhrases) {
  ResponseHead h;
  ASSERT_TRUE(parse_response("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_EQ(h.reason, "");
  ASSERT_TRUE(parse_response("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_EQ(h.reason, "");
  ASSERT_TRUE(parse_response("HTTP/1.1 404 Not  Found\t(really)\r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_EQ(h.reason, "Not  Found\t(really)");
}

TEST(ResponseParser, Http10KeepAlive) {
  ResponseHead h;
  ASSERT_TRUE(parse_response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_FALSE(h.keeps_alive());
  ASSERT_TRUE(parse_response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_TRUE(h.keeps_alive());
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_FALSE(h.keeps_alive());
}

TEST(ResponseParser, ByteByByte) {
  std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: y\r\n\r\nabc";
  ResponseParser parser;
  ResponseHead h;
  std::string buffer;
  ParseResult r;
  for (char c : text) {
    buffer.push_back(c);
    r = parser.parse(buffer, Method::get, h);
    if (r.status != ParseStatus::need_more) break;
  }
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(r.consumed, text.size() - 3);
  EXPECT_EQ(h.header("x"), "y");
}

TEST(ResponseParser, ErrorsAreAll502) {
  for (std::string_view bad : {
           "HTTP/1.1 20 OK\r\n\r\n",
           "HTTP/1.1 2000 OK\r\n\r\n",
           "HTTP/1.1 099 Low\r\n\r\n",
           "HTTP/1.1 600 High\r\n\r\n",
           "HTTP/2.0 200 OK\r\n\r\n",
           "HTTP/1.1  200 OK\r\n\r\n",
           "HTTP/1.1 200OK\r\n\r\n",
           "ICY 200 OK\r\n\r\n",
           "HTTP/1.1 200 O\x01K\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
           "HTTP/1.1 200 OK\rX: a\r\n\r\n",
       }) {
    ResponseHead h;
    ParseResult r = parse_response(bad, h);
    EXPECT_EQ(r.status, ParseStatus::error) << bad;
    EXPECT_EQ(r.error_status, 502) << bad;
  }
}

TEST(ResponseParser, Limits) {
  Limits limits;
  limits.max_head_bytes = 128;
  limits.max_body = 100;
  limits.max_headers = 3;
  ResponseHead h;
  std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(200, 'v') + "\r\n\r\n";
  EXPECT_EQ(parse_response(big, h, Method::get, limits).error_status, 502);
  EXPECT_EQ(parse_response(big.substr(0, 150), h, Method::get, limits).error_status, 502);
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", h, Method::get, limits).error_status, 502);
  EXPECT_TRUE(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", h, Method::get, limits).complete());
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", h, Method::get, limits).error_status,
            502);
}

}  // namespace
}  // namespace shoal::pool::http
