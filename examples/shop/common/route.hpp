// Which endpoint a request is for. A service looks for the LAST path segment
// that names one of its endpoints and takes the segments after it as
// arguments, so it answers the same whether the gateway strips a route's
// prefix or not: "/api/cart/cart/alice", "/cart/alice" and "/alice/cart/alice"
// all reach ("cart", {"alice"}).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"

namespace shop {

struct Route {
  std::string endpoint;
  std::vector<std::string> args;
};

inline std::optional<Route> match_route(const Request& request, std::initializer_list<std::string_view> endpoints) {
  std::vector<std::string> segments = request.segments();
  for (size_t i = segments.size(); i-- > 0;)
    for (std::string_view e : endpoints)
      if (segments[i] == e) return Route{segments[i], {segments.begin() + i + 1, segments.end()}};
  return std::nullopt;
}

}  // namespace shop
