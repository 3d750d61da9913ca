// Request lines and status lines.
#include "start_line.hpp"

#include <string.h>

#include "chars.hpp"

namespace shoal::pool::http {

Method to_method(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::get;
      if (m == "PUT") return Method::put;
      break;
    case 4:
      if (m == "HEAD") return Method::head;
      if (m == "POST") return Method::post;
      break;
    case 5:
      if (m == "PATCH") return Method::patch;
      if (m == "TRACE") return Method::trace;
      break;
    case 6:
      if (m == "DELETE") return Method::delete_;
      break;
    case 7:
      if (m == "OPTIONS") return Method::options;
      if (m == "CONNECT") return Method::connect;
      break;
    default:
      break;
  }
  return Method::other;
}

}  // namespace shoal::pool::http

namespace shoal::pool::http::detail {
namespace {

enum class VersionCheck { ok, unsupported, malformed };

// "HTTP/d.d": 1.0 and 1.1 are ours; other digits are a version we do not
// speak (505); anything else is not HTTP/1 at all (400).
VersionCheck parse_version(std::string_view v, Version& out) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
      v[7] > '9')
    return VersionCheck::malformed;
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) return VersionCheck::unsupported;
  out = v[7] == '0' ? Version::http10 : Version::http11;
  return VersionCheck::ok;
}

bool starts_with_scheme(std::string_view target, std::string_view scheme) {
  return target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme);
}

// Splits an absolute-form target into authority and origin-form path.
std::optional<FieldError> parse_absolute_form(std::string_view target, size_t scheme_len, RequestLine& out) {
  std::string_view rest = target.substr(scheme_len);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.empty()) return FieldError{400, "absolute-form target without authority"};
  // userinfo ("user@host") is deprecated and a known way to mislead routing.
  if (!all_of_class(authority, kHost)) return FieldError{400, "invalid authority in absolute-form target"};
  out.authority = authority;
  out.absolute_form = true;
  if (end == std::string_view::npos) {
    out.path = "/";  // static storage, not the buffer: the target has no path
  } else if (rest[end] == '/') {
    out.path = rest.substr(end);
  } else {
    return FieldError{400, "absolute-form target with a query but no path"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<FieldError> parse_request_line(std::string_view line, RequestLine& out) {
  size_t m = 0;
  while (m < line.size() && is_token_char(line[m])) ++m;
  if (m == 0 || m == line.size() || line[m] != ' ') return FieldError{400, "malformed method in request line"};
  size_t t = m + 1;
  size_t t_end = t;
  while (t_end < line.size() && has_class(line[t_end], kTarget)) ++t_end;
  if (t_end == t || t_end == line.size() || line[t_end] != ' ')
    return FieldError{400, "malformed request target in request line"};
  switch (parse_version(line.substr(t_end + 1), out.version)) {
    case VersionCheck::malformed:
      return FieldError{400, "malformed HTTP version in request line"};
    case VersionCheck::unsupported:
      return FieldError{505, "HTTP version not supported"};
    case VersionCheck::ok:
      break;
  }
  out.method = line.substr(0, m);
  out.method_kind = to_method(out.method);
  // The gateway is no tunnel, and TRACE would echo credentials back.
  if (out.method_kind == Method::connect || out.method_kind == Method::trace)
    return FieldError{405, "method not allowed"};

  out.target = line.substr(t, t_end - t);
  out.authority = {};
  out.absolute_form = false;
  if (out.target[0] == '/') {
    out.path = out.target;
  } else if (out.target == "*") {
    if (out.method_kind != Method::options) return FieldError{400, "asterisk-form target with a method but OPTIONS"};
    out.path = out.target;
  } else if (starts_with_scheme(out.target, "http://")) {
    return parse_absolute_form(out.target, 7, out);
  } else if (starts_with_scheme(out.target, "https://")) {
    return parse_absolute_form(out.target, 8, out);
  } else {
    return FieldError{400, "request target is not origin-form, absolute-form or *"};
  }
  return std::nullopt;
}

std::optional<std::string_view> parse_status_line(std::string_view line, StatusLine& out) {
  if (line.size() < 12 || line[8] != ' ') return "malformed status line";
  if (parse_version(line.substr(0, 8), out.version) != VersionCheck::ok) return "unsupported HTTP version in status line";
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return "malformed status code";
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || status > 599) return "status code out of range";
  out.status = status;
  // "HTTP/1.1 200" with no reason is tolerated; otherwise one SP, then the
  // reason phrase (HTAB, SP, visible characters, obs-text).
  if (line.size() == 12) {
    out.reason = {};
    return std::nullopt;
  }
  if (line[12] != ' ') return "malformed status line";
  out.reason = line.substr(13);
  if (!all_of_class(out.reason, kFieldValue)) return "invalid character in reason phrase";
  return std::nullopt;
}

}  // namespace shoal::pool::http::detail
