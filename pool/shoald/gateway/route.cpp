#include "route.hpp"

#include <strings.h>

namespace shoal::pool {
namespace {

bool host_matches(const std::optional<std::string>& route_host, std::string_view host) {
  if (!route_host) return true;
  std::string_view want = *route_host;
  auto colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(']') == std::string_view::npos) host = host.substr(0, colon);
  return want.size() == host.size() && strncasecmp(want.data(), host.data(), host.size()) == 0;
}

bool prefix_matches(std::string_view prefix, std::string_view path) {
  if (prefix.empty() || prefix == "/") return true;
  if (path.substr(0, prefix.size()) != prefix) return false;
  if (path.size() == prefix.size() || prefix.back() == '/') return true;
  char next = path[prefix.size()];
  return next == '/' || next == '?';
}

}  // namespace

bool path_is_safe(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string decoded;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      std::string_view hex = path.substr(i + 1, 2);
      if (hex.size() == 2 && (hex == "2e" || hex == "2E")) {
        decoded += '.';
        i += 2;
        continue;
      }
      if (hex.size() == 2 && (hex == "2f" || hex == "2F" || hex == "5c" || hex == "5C")) return false;
    }
    if (path[i] == '\\') return false;
    decoded += path[i];
  }
  size_t start = 0;
  while (start <= decoded.size()) {
    size_t end = decoded.find('/', start);
    if (end == std::string::npos) end = decoded.size();
    std::string_view seg = std::string_view(decoded).substr(start, end - start);
    if (seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return true;
}

const spec::Route* match_route(const std::vector<spec::Route>& routes, std::string_view host,
                               std::string_view path) {
  const spec::Route* best = nullptr;
  for (const auto& r : routes) {
    if (!host_matches(r.host, host) || !prefix_matches(r.path, path)) continue;
    // Longest prefix wins; a host-specific route beats a generic one of equal length.
    if (best == nullptr || r.path.size() > best->path.size() ||
        (r.path.size() == best->path.size() && !best->host && r.host))
      best = &r;
  }
  return best;
}

std::string upstream_target(const spec::Route& route, std::string_view target) {
  if (!route.strip_prefix || route.path.empty() || route.path == "/") return std::string(target);
  std::string_view rest = target.substr(std::min(route.path.size(), target.size()));
  if (rest.empty() || rest[0] == '?') return "/" + std::string(rest);
  if (rest[0] != '/') return "/" + std::string(rest);
  return std::string(rest);
}

}  // namespace shoal::pool
