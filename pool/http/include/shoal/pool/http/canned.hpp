// Ready-made responses the gateway sends on its own: errors and 100 Continue.
#pragma once

#include <string_view>

namespace shoal::pool::http {

// The standard reason phrase of a status ("Not Found"), "" if unknown.
std::string_view reason_phrase(int status);

// A complete error response: status line, Content-Type: text/plain,
// Content-Length, a one-line body ("404 Not Found\n"), and "Connection: close"
// when `close`. After a parse error the connection must close (its framing is
// unknown): pass close = true. With `head_request` the body is left out (the
// Content-Length stays), as a response to HEAD requires.
//
// Statuses with a prebuilt response: 400 404 405 408 413 414 417 431 500 501
// 502 503 504 505 (405 carries Allow, 503 carries Retry-After: 1). Any other
// status gives the 500 response. The views point to static storage.
std::string_view canned_response(int status, bool close, bool head_request = false);

// The interim response to "Expect: 100-continue", sent before reading the body.
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace shoal::pool::http
