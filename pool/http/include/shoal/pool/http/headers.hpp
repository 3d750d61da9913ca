// Header fields and case-insensitive lookup.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace shoal::pool::http {

struct Header {
  std::string_view name;
  std::string_view value;  // leading and trailing whitespace removed
};

// ASCII case-insensitive equality, as field names and most tokens compare.
bool iequals(std::string_view a, std::string_view b);

// The value of the first field named `name` (case-insensitive), if any.
std::optional<std::string_view> find_header(std::span<const Header> headers, std::string_view name);

// Whether `value`, a comma-separated list, contains `token` (case-insensitive),
// e.g. has_token("keep-alive, Upgrade", "upgrade").
bool has_token(std::string_view value, std::string_view token);

}  // namespace shoal::pool::http
