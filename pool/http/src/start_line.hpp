// The first line of a message: request line (RFC 9112 section 3) or status
// line (section 4).
#pragma once

#include <optional>
#include <string_view>

#include <shoal/pool/http/message.hpp>

#include "fields.hpp"

namespace shoal::pool::http::detail {

struct RequestLine {
  std::string_view method;
  Method method_kind = Method::other;
  std::string_view target;
  std::string_view path;       // origin-form
  std::string_view authority;  // of an absolute-form target, else empty
  bool absolute_form = false;
  Version version = Version::http11;
};

// `line` is without its CRLF. Errors: 400, 405 (CONNECT, TRACE), 505.
std::optional<FieldError> parse_request_line(std::string_view line, RequestLine& out);

struct StatusLine {
  Version version = Version::http11;
  int status = 0;
  std::string_view reason;
};

// Returns a description of the error, if any (the caller answers 502).
std::optional<std::string_view> parse_status_line(std::string_view line, StatusLine& out);

}  // namespace shoal::pool::http::detail
