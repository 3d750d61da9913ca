// Incremental parser of response heads (the gateway's client side, reading
// what an instance answers). Same calling convention as RequestParser.
//
// Every error has error_status 502: the gateway answers its client 502 Bad
// Gateway and drops the instance connection. The rules are those of requests
// (see request_parser.hpp), plus:
// - Status line: HTTP/1.0 or HTTP/1.1, SP, three digits in 100..599, then
//   SP and a reason phrase, which may be empty or missing.
// - The body is none for a response to HEAD, for 1xx, 204 and 304; otherwise
//   chunked, Content-Length, or until the instance closes (no framing field).
// - Content-Length with Transfer-Encoding, a coding other than chunked, or a
//   Content-Length above max_body are errors (a response is never streamed
//   with an encoding the gateway cannot remove).
// - A 1xx head is complete on its own: check head.interim() and parse the
//   next head from buffer[consumed] (101 Switching Protocols is not supported
//   by the gateway, which never forwards Upgrade).
#pragma once

#include <string_view>

#include <shoal/pool/http/limits.hpp>
#include <shoal/pool/http/message.hpp>
#include <shoal/pool/http/parse_result.hpp>

namespace shoal::pool::http {

class ResponseParser {
 public:
  explicit ResponseParser(const Limits& limits = {}) : m_limits(limits) {}

  // `request_method`: the method of the request this answers (HEAD has no body).
  ParseResult parse(std::string_view buffer, Method request_method, ResponseHead& out);

  void reset() {
    m_scan = 0;
    m_line_scan = 0;
    m_line_end = 0;
  }
  const Limits& limits() const { return m_limits; }

 private:
  Limits m_limits;
  size_t m_scan = 0;
  size_t m_line_scan = 0;
  size_t m_line_end = 0;
};

}  // namespace shoal::pool::http
