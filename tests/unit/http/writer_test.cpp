// Writers: forwarding strips hop-by-hop fields and re-frames; new messages
// and canned responses are valid HTTP that our own parsers accept.
#include <gtest/gtest.h>

#include <shoal/pool/http/body_reader.hpp>
#include <shoal/pool/http/canned.hpp>
#include <shoal/pool/http/writer.hpp>

#include "test_util.hpp"

namespace shoal::pool::http {
namespace {

using test::parse_request;
using test::parse_response;

TEST(Writer, ForwardedRequestDropsHopByHopFields) {
  std::string text =
      "GET http://shop/items?id=1 HTTP/1.1\r\n"
      "Host: shop\r\n"
      "Connection: keep-alive, X-Secret\r\n"
      "Keep-Alive: timeout=5\r\n"
      "Proxy-Authorization: Basic abc\r\n"
      "Proxy-Connection: keep-alive\r\n"
      "TE: trailers\r\n"
      "Trailer: X-Sum\r\n"
      "Upgrade: websocket\r\n"
      "X-Secret: hop\r\n"
      "X-Forwarded-For: 1.1.1.1\r\n"
      "x-forwarded-for: 2.2.2.2\r\n"
      "X-Request-Id: from-client\r\n"
      "Accept: */*\r\n"
      "Expect: 100-continue\r\n"
      "\r\n";
  RequestHead h;
  ASSERT_TRUE(parse_request(text, h).complete());
  std::string out;
  Header set[] = {{"X-Request-Id", "gw-7"}, {"X-Forwarded-Proto", "http"}};
  write_forwarded_request(out, h, RequestForward{"10.0.0.9", set, forward_body(h), false});
  EXPECT_EQ(out,
            "GET /items?id=1 HTTP/1.1\r\n"
            "Host: shop\r\n"
            "Accept: */*\r\n"
            "X-Request-Id: gw-7\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-For: 1.1.1.1, 2.2.2.2, 10.0.0.9\r\n"
            "\r\n");
  RequestHead again;
  ASSERT_TRUE(parse_request(out, again).complete());
  EXPECT_EQ(again.header("x-request-id"), "gw-7");
}

TEST(Writer, ForwardedRequestFraming) {
  RequestHead h;
  ASSERT_TRUE(parse_request("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", h).complete());
  std::string out;
  write_forwarded_request(out, h, RequestForward{{}, {}, forward_body(h), true});
  EXPECT_EQ(out, "POST /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 3\r\n\r\n");
  ASSERT_TRUE(parse_request("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", h).complete());
  out.clear();
  write_forwarded_request(out, h, RequestForward{{}, {}, forward_body(h), false});
  EXPECT_EQ(out, "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  // HTTP/1.0 in, HTTP/1.1 out, so a Host is added; with no client address
  // X-Forwarded-For is untouched.
  ASSERT_TRUE(parse_request("GET /x HTTP/1.0\r\nX-Forwarded-For: 3.3.3.3\r\n\r\n", h).complete());
  out.clear();
  write_forwarded_request(out, h, RequestForward{});
  EXPECT_EQ(out, "GET /x HTTP/1.1\r\nX-Forwarded-For: 3.3.3.3\r\nHost: \r\n\r\n");
  RequestHead again;
  EXPECT_TRUE(parse_request(out, again).complete());
  // HTTP/1.0 may repeat Host: one is forwarded.
  ASSERT_TRUE(parse_request("GET /x HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", h).failed());
}

TEST(Writer, ForwardedHostIsTheRoutedHost) {
  RequestHead h;
  ASSERT_TRUE(parse_request("GET http://real.example/p HTTP/1.1\r\nHost: decoy\r\n\r\n", h).complete());
  std::string out;
  write_forwarded_request(out, h, RequestForward{});
  EXPECT_EQ(out, "GET /p HTTP/1.1\r\nHost: real.example\r\n\r\n");
  ASSERT_TRUE(parse_request("GET http://real.example/p HTTP/1.0\r\n\r\n", h).complete());
  out.clear();
  write_forwarded_request(out, h, RequestForward{});
  EXPECT_EQ(out, "GET /p HTTP/1.1\r\nHost: real.example\r\n\r\n");
  Header set[] = {{"Host", "cart.internal"}};
  out.clear();
  write_forwarded_request(out, h, RequestForward{{}, set, {}, false});
  EXPECT_EQ(out, "GET /p HTTP/1.1\r\nHost: cart.internal\r\n\r\n");
}

TEST(Writer, ForwardedResponse) {
  ResponseHead h;
  std::string text =
      "HTTP/1.1 200 Fine\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
      "Connection: keep-alive, X-Internal\r\nX-Internal: 1\r\nKeep-Alive: timeout=3\r\nServer: cart\r\n\r\n";
  ASSERT_TRUE(parse_response(text, h).complete());
  std::string out;
  Header set[] = {{"Server", "shoal"}};
  write_forwarded_response(out, h, ResponseForward{set, forward_body(h, Version::http11), Version::http11, false});
  EXPECT_EQ(out,
            "HTTP/1.1 200 Fine\r\nContent-Type: application/json\r\nServer: shoal\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
  // An HTTP/1.0 client: no chunked, so the body runs until close.
  out.clear();
  write_forwarded_response(out, h, ResponseForward{{}, forward_body(h, Version::http10), Version::http10, false});
  EXPECT_EQ(out, "HTTP/1.1 200 Fine\r\nContent-Type: application/json\r\nServer: cart\r\nConnection: close\r\n\r\n");
  // A keep-alive HTTP/1.0 client with a known length is told so.
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", h).complete());
  out.clear();
  write_forwarded_response(out, h, ResponseForward{{}, forward_body(h, Version::http10), Version::http10, false});
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
}

TEST(Writer, ForwardedResponseToHeadKeepsTheLength) {
  ResponseHead h;
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", h, Method::head).complete());
  OutBody body = forward_body(h, Version::http11);
  EXPECT_EQ(body.kind, BodyKind::length);
  EXPECT_EQ(body.length, 1234u);
  ASSERT_TRUE(parse_response("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", h).complete());
  EXPECT_EQ(forward_body(h, Version::http11).kind, BodyKind::none);
}

TEST(Writer, NewRequestsAndResponses) {
  std::string out;
  Header headers[] = {{"Host", "cart"}, {"Content-Length", "999"}, {"Content-Type", "application/json"}};
  write_request(out, "POST", "/price", headers, "[1]");
  EXPECT_EQ(out, "POST /price HTTP/1.1\r\nHost: cart\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n[1]");
  out.clear();
  write_request(out, "GET", "/", {}, "");
  EXPECT_EQ(out, "GET / HTTP/1.1\r\n\r\n");
  out.clear();
  write_request(out, "POST", "/", {}, "");
  EXPECT_EQ(out, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");

  out.clear();
  Header type[] = {{"Content-Type", "application/json"}};
  write_response(out, 200, type, "{}");
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  out.clear();
  write_response(out, 200, {}, "{}", ResponseOptions{Version::http10, false, true});
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
  out.clear();
  write_response(out, 200, {}, "", ResponseOptions{Version::http11, false, true, 1234});
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  out.clear();
  write_response(out, 204, {}, "ignored", ResponseOptions{Version::http11, true, false});
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
}

TEST(Writer, CallerValuesCannotSplitTheMessage) {
  std::string out;
  EXPECT_TRUE(append_header(out, "X-Id", "a\r\nSet-Cookie: evil=1"));
  EXPECT_EQ(out, "X-Id: a  Set-Cookie: evil=1\r\n");
  out.clear();
  EXPECT_FALSE(append_header(out, "Bad Name", "v"));
  EXPECT_FALSE(append_header(out, "", "v"));
  EXPECT_FALSE(append_header(out, "X\r\nY", "v"));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(append_header(out, "X", std::string_view("a\0b", 3)));
  EXPECT_EQ(out, "X: a b\r\n");
  RequestHead h;
  ASSERT_TRUE(parse_request("GET / HTTP/1.1\r\nHost: h\r\n\r\n", h).complete());
  out.clear();
  write_forwarded_request(out, h, RequestForward{"1.2.3.4\r\nX-Admin: 1", {}, {}, false});
  RequestHead again;
  ASSERT_TRUE(parse_request(out, again).complete());
  EXPECT_FALSE(again.header("x-admin").has_value());
}

TEST(Writer, HopByHopNames) {
  for (std::string_view n : {"Connection", "keep-alive", "Proxy-Authenticate", "proxy-authorization",
                             "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "UPGRADE", "Content-Length"})
    EXPECT_TRUE(is_hop_by_hop(n)) << n;
  for (std::string_view n : {"Host", "Trailers", "Proxy", "Proxy-", "Accept", "X-Forwarded-For", "Tea"})
    EXPECT_FALSE(is_hop_by_hop(n)) << n;
}

TEST(Canned, EveryCannedResponseIsValid) {
  for (int status : {400, 404, 405, 408, 413, 414, 417, 431, 500, 501, 502, 503, 504, 505}) {
    for (bool close : {false, true}) {
      std::string_view text = canned_response(status, close);
      ResponseHead h;
      ParseResult r = parse_response(text, h);
      ASSERT_TRUE(r.complete()) << text;
      EXPECT_EQ(h.status, status);
      EXPECT_EQ(h.reason, reason_phrase(status));
      EXPECT_EQ(h.keeps_alive(), !close) << text;
      ASSERT_EQ(h.body.kind, BodyKind::length);
      std::string_view body = text.substr(r.consumed);
      EXPECT_EQ(body.size(), h.body.length);
      EXPECT_EQ(body.substr(0, 4), std::to_string(status) + " ");
      // The HEAD form is the same head without the body.
      std::string_view head_only = canned_response(status, close, true);
      EXPECT_EQ(head_only, text.substr(0, r.consumed));
    }
  }
  EXPECT_NE(canned_response(405, true).find("\r\nAllow: GET"), std::string_view::npos);
  EXPECT_NE(canned_response(503, false).find("\r\nRetry-After: 1\r\n"), std::string_view::npos);
  EXPECT_EQ(canned_response(418, true), canned_response(500, true));
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(299), "");
  ResponseHead h;
  ParseResult r = parse_response(kContinueResponse, h, Method::post);
  ASSERT_TRUE(r.complete());
  EXPECT_TRUE(h.interim());
  EXPECT_EQ(r.consumed, kContinueResponse.size());
}

}  // namespace
}  // namespace shoal::pool::http
