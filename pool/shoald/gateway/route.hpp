// Route matching: by Host (exact, port ignored, case-insensitive) and the
// longest path prefix that ends at a segment boundary ("/api" matches "/api"
// and "/api/x", not "/apix").
#pragma once

#include <string_view>
#include <vector>

#include <shoal/pool/spec/spec.hpp>

namespace shoal::pool {

const spec::Route* match_route(const std::vector<spec::Route>& routes, std::string_view host,
                               std::string_view path);

// Whether a request path is safe to route by prefix: no "." or ".." segment,
// plain or percent-encoded ("%2e"), and no encoded slash ("%2f"), so that
// "/public/../admin" cannot reach a route "/public" did not mean to expose.
bool path_is_safe(std::string_view target);

// The target sent upstream: with strip_prefix the prefix is removed (and "/"
// kept as the minimum); the query string is kept.
std::string upstream_target(const spec::Route& route, std::string_view target);

}  // namespace shoal::pool
