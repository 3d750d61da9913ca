// Incremental parser of request heads (the gateway's server side).
//
// Usage, per connection (RequestHead and RequestParser live as long as it):
//
//   ParseResult r = parser.parse(buffer, head);   // buffer: all unprocessed bytes
//   need_more -> read more, append, call again with the grown buffer
//   complete  -> head is valid; the body (head.body) starts at buffer[r.consumed];
//                after the body, call parse() on the bytes that follow (pipelining)
//   error     -> send canned_response(r.error_status, close) and close
//
// The parser keeps only offsets between calls, so the buffer may move as it
// grows, but the bytes already passed must not change. Searching resumes where
// the last call stopped: a head that trickles in byte by byte costs linear
// time. head.headers is reused from call to call (no allocation once warm).
//
// Rules (RFC 9112 where it leaves a choice, the strict reading):
// - Lines end in CRLF; a bare LF is accepted too (as nginx does), a bare CR is
//   an error. The gateway re-frames everything it forwards, so this leniency
//   cannot make it and an instance disagree about where a message ends.
// - Up to 4 empty lines before the request line are skipped; more: 400.
// - Request line: token SP target SP HTTP/1.x, single spaces. Target in origin
//   form ("/..."), absolute form ("http[s]://authority/..."), or "*" for OPTIONS.
//   Versions other than 1.0 and 1.1 get 505; CONNECT and TRACE get 405.
// - Field names are tokens directly followed by ':' (whitespace before the
//   colon: 400); values hold no control characters but HTAB; obs-fold: 400.
// - Content-Length: digits only; repeated values must be equal ("5, 5" is 5);
//   overflow, sign, differing values: 400; more than max_body: 413.
// - Transfer-Encoding: only "chunked", once, last; with Content-Length, in an
//   HTTP/1.0 request, chunked twice or not last: 400; other codings: 501.
// - At most one Host field (400), and HTTP/1.1 requires one (400).
#pragma once

#include <string_view>

#include <shoal/pool/http/limits.hpp>
#include <shoal/pool/http/message.hpp>
#include <shoal/pool/http/parse_result.hpp>

namespace shoal::pool::http {

class RequestParser {
 public:
  explicit RequestParser(const Limits& limits = {}) : m_limits(limits) {}

  ParseResult parse(std::string_view buffer, RequestHead& out);

  // Forgets a partly seen head (the parser resets itself after complete/error).
  void reset() {
    m_scan = 0;
    m_line_scan = 0;
    m_line_end = 0;
  }
  const Limits& limits() const { return m_limits; }

 private:
  Limits m_limits;
  size_t m_scan = 0;       // bytes already searched for the blank line
  size_t m_line_scan = 0;  // bytes already searched for the request line's LF
  size_t m_line_end = 0;   // offset after the request line's LF, once validated
};

}  // namespace shoal::pool::http
