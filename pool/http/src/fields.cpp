// Header field lines: syntax (RFC 9112 section 5) and the fields that decide
// framing and persistence.
#include "fields.hpp"

#include <string.h>

#include "chars.hpp"

namespace shoal::pool::http::detail {
namespace {

// Calls fn(element, has_parameters) for each non-empty element (a token) of a
// comma-separated list; an element is trimmed and cut at ';'. Returns false
// if an element name is not a token. Empty elements are skipped, as RFC 9110
// section 5.6.1 asks.
template <typename Fn>
bool for_each_list_element(std::string_view value, Fn&& fn) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view element = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    size_t semicolon = element.find(';');
    bool has_parameters = semicolon != std::string_view::npos;
    std::string_view name = trim_ows(element.substr(0, semicolon));
    if (name.empty()) {
      if (has_parameters) return false;  // ";x" with no name
      continue;
    }
    if (!all_of_class(name, kToken)) return false;
    fn(name, has_parameters);
  }
  return true;
}

void note_transfer_encoding(std::string_view value, FieldFacts& f) {
  f.has_transfer_encoding = true;
  bool ok = for_each_list_element(value, [&](std::string_view coding, bool has_parameters) {
    ++f.te_codings;
    if (equals_lowercase(coding, "chunked")) {
      // Chunked twice would mean chunked applied to chunked: never legitimate.
      if (f.te_chunked_seen || has_parameters) f.te_malformed = true;
      f.te_chunked_seen = true;
      f.te_chunked_last = true;
    } else {
      if (f.te_chunked_seen) f.te_malformed = true;  // chunked must be the final coding
      f.te_chunked_last = false;
      f.te_unsupported = true;
    }
  });
  if (!ok) f.te_malformed = true;
}

void note_connection(std::string_view value, FieldFacts& f) {
  bool ok = for_each_list_element(value, [&](std::string_view option, bool) {
    if (equals_lowercase(option, "close")) {
      f.connection.close = true;
    } else if (equals_lowercase(option, "keep-alive")) {
      f.connection.keep_alive = true;
    } else if (equals_lowercase(option, "upgrade")) {
      f.connection.upgrade = true;
    } else {
      f.connection.others = true;
    }
  });
  if (!ok) f.connection_bad = true;
}

void note_field(std::string_view name, std::string_view value, FieldFacts& f) {
  // Dispatch on the length first: most fields are none of these.
  switch (name.size()) {
    case 4:
      if (equals_lowercase(name, "host")) {
        ++f.host_count;
        f.host = value;
      }
      break;
    case 6:
      if (equals_lowercase(name, "expect") && iequals(value, "100-continue")) f.expect_continue = true;
      break;
    case 10:
      if (equals_lowercase(name, "connection")) note_connection(value, f);
      break;
    case 14:
      if (equals_lowercase(name, "content-length")) {
        uint64_t length = 0;
        if (!parse_content_length(value, length) || (f.has_content_length && f.content_length != length))
          f.content_length_bad = true;
        f.has_content_length = true;
        f.content_length = length;
      }
      break;
    case 17:
      if (equals_lowercase(name, "transfer-encoding")) note_transfer_encoding(value, f);
      break;
    default:
      break;
  }
}

}  // namespace

bool parse_content_length(std::string_view v, uint64_t& length) {
  bool have = false;
  size_t i = 0;
  for (;;) {
    while (i < v.size() && is_ows(v[i])) ++i;
    size_t digits_start = i;
    uint64_t n = 0;
    for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
      uint64_t d = static_cast<uint64_t>(v[i] - '0');
      if (n > (UINT64_MAX - d) / 10) return false;  // overflow
      n = n * 10 + d;
    }
    if (i == digits_start) return false;  // empty element, sign or junk
    if (have && n != length) return false;
    have = true;
    length = n;
    while (i < v.size() && is_ows(v[i])) ++i;
    if (i == v.size()) return true;
    if (v[i] != ',') return false;
    ++i;
  }
}

std::optional<FieldError> parse_fields(std::string_view text, const Limits& limits, std::vector<Header>& out,
                                       FieldFacts& facts) {
  // One pass: each line is checked as it is read, and its end is where the
  // value's characters stop (CR and LF cannot be in a value).
  const char* p = text.data();
  const size_t n = text.size();
  size_t pos = 0;
  while (pos < n) {
    if (p[pos] == '\n') return std::nullopt;  // the blank line: end of the head
    if (p[pos] == '\r') {
      if (pos + 1 < n && p[pos + 1] == '\n') return std::nullopt;
      return FieldError{400, "bare CR in header section"};
    }
    if (is_ows(p[pos])) return FieldError{400, "obsolete line folding in header section"};
    if (out.size() >= limits.max_headers) return FieldError{431, "too many header fields"};

    size_t colon = pos;
    while (colon < n && is_token_char(p[colon])) ++colon;
    if (colon == n || p[colon] != ':') {
      if (colon < n && is_ows(p[colon])) return FieldError{400, "whitespace before colon in header field"};
      return FieldError{400, "invalid character in header field name"};
    }
    if (colon == pos) return FieldError{400, "empty header field name"};
    size_t value = colon + 1;
    while (value < n && is_ows(p[value])) ++value;
    size_t stop = scan_field_value(p, value, n);
    size_t next;
    if (stop < n && p[stop] == '\n') {
      next = stop + 1;
    } else if (stop + 1 < n && p[stop] == '\r' && p[stop + 1] == '\n') {
      next = stop + 2;
    } else {
      return FieldError{400, "invalid character in header field value"};
    }
    size_t value_end = stop;
    while (value_end > value && is_ows(p[value_end - 1])) --value_end;
    std::string_view name(p + pos, colon - pos);
    std::string_view field_value(p + value, value_end - value);
    out.push_back(Header{name, field_value});
    note_field(name, field_value, facts);
    pos = next;
  }
  return FieldError{400, "header section not terminated"};
}

}  // namespace shoal::pool::http::detail
