#include "message.hpp"

#include <algorithm>

#include "shoal/pool/http/headers.hpp"

namespace shoal::pool {
namespace {

bool same_name(std::string_view a, std::string_view b) { return http::iequals(a, b); }

}  // namespace

std::string_view Message::header(std::string_view name) const {
  for (const auto& h : headers)
    if (same_name(h.name, name)) return h.value;
  return {};
}

void Message::set_header(std::string_view name, std::string_view value) {
  for (auto& h : headers)
    if (same_name(h.name, name)) {
      h.value = value;
      return;
    }
  headers.push_back({std::string(name), std::string(value)});
}

bool is_idempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS";
}

}  // namespace shoal::pool

namespace shoal::pool {

std::vector<http::Header> header_views(const Message& m) {
  std::vector<http::Header> v;
  v.reserve(m.headers.size());
  for (const auto& h : m.headers) v.push_back({h.name, h.value});
  return v;
}

}  // namespace shoal::pool
