// Case-insensitive field lookup.
#include <shoal/pool/http/headers.hpp>

#include "chars.hpp"

namespace shoal::pool::http {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (detail::ascii_lower(a[i]) != detail::ascii_lower(b[i])) return false;
  return true;
}

std::optional<std::string_view> find_header(std::span<const Header> headers, std::string_view name) {
  for (const Header& h : headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view element = detail::trim_ows(value.substr(0, comma));
    if (iequals(element, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace shoal::pool::http
