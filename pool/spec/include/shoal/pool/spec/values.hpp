// The scalar formats of the spec file, usable on their own (the CLI parses
// `shoal scale` and flags with them too). Each returns an error message naming
// the expected form.
#pragma once

#include <stdint.h>

#include <string_view>

#include <shoal/base/result.hpp>
#include <shoal/pool/policy/time.hpp>
#include <shoal/pool/spec/spec.hpp>

namespace shoal::pool::spec {

// "250ms", "30s", "1m30s", "1.5s", "0s": one or more <number><unit>, units
// ns, us, ms, s, m, h; at most 30 days.
Result<Duration> parse_duration(std::string_view text);

// "64M", "512K", "1G", "64MiB", "4096": bytes with an optional binary suffix
// K, M, G, T (optionally followed by "iB" or "B"); at most 2^50.
Result<uint64_t> parse_size(std::string_view text);

// "127.0.0.1:8080", "localhost:80", "[::1]:8080", "0.0.0.0:80".
Result<Endpoint> parse_endpoint(std::string_view text);

// Service and pool names: [a-z0-9-], 1 to 47 characters.
bool valid_name(std::string_view name);
inline constexpr size_t kMaxNameLength = 47;

// Formats a duration the way the spec writes it ("250ms", "1m30s").
std::string format_duration(Duration d);

}  // namespace shoal::pool::spec
