// Helpers of the HTTP codec tests: feeding a parser all at once or in pieces.
#pragma once

#include <string>
#include <string_view>

#include <shoal/pool/http/request_parser.hpp>
#include <shoal/pool/http/response_parser.hpp>

namespace shoal::pool::http::test {

// Parses `text` in one call.
inline ParseResult parse_request(std::string_view text, RequestHead& head, const Limits& limits = {}) {
  RequestParser parser(limits);
  return parser.parse(text, head);
}

// Feeds `text` to one parser `step` bytes at a time, growing a buffer as a
// connection would (the buffer reallocates, so views must not outlive a call).
// Returns the first result that is not need_more, or need_more at the end;
// `buffer` keeps the bytes so the head's views stay valid.
inline ParseResult parse_request_in_steps(std::string_view text, size_t step, RequestHead& head, std::string& buffer,
                                          const Limits& limits = {}) {
  RequestParser parser(limits);
  buffer.clear();
  ParseResult r;
  for (size_t i = 0; i < text.size(); i += step) {
    buffer.append(text.substr(i, step));
    buffer.shrink_to_fit();  // force the buffer to move now and then
    r = parser.parse(buffer, head);
    if (r.status != ParseStatus::need_more) return r;
  }
  return r;
}

inline ParseResult parse_response(std::string_view text, ResponseHead& head, Method method = Method::get,
                                  const Limits& limits = {}) {
  ResponseParser parser(limits);
  return parser.parse(text, method, head);
}

}  // namespace shoal::pool::http::test
