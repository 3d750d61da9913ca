// The balancing policies a service can choose (spec key `balance`) and the
// key the `hash` policy hashes (spec key `hash_key`).
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>

namespace shoal::pool::policy {

enum class BalanceKind : uint8_t {
  round_robin,  // each available backend in turn
  weighted,     // smooth weighted round robin (nginx)
  least_conn,   // fewest requests in flight (relative to weight); ties in turn
  ip_hash,      // the client address picks the backend (rendezvous hashing)
  hash,         // consistent hashing (ketama ring) of the URL or a header
  p2c,          // two random choices, the one with fewer requests in flight
  least_time,   // lowest EWMA response time x (in flight + 1)
  warm_first,   // the most recently used instance below warm_load in flight
};

// "round_robin", "weighted", ... as written in a spec; nullopt for anything else.
std::optional<BalanceKind> parse_balance_kind(std::string_view text);
std::string_view balance_kind_name(BalanceKind kind);
// The accepted names, for error messages: "round_robin, weighted, ...".
std::string_view balance_kind_names();

// What the `hash` policy hashes: the request URL, or the value of one header
// (the gateway looks it up and passes it in RequestKey::header).
struct HashKey {
  enum class Source : uint8_t { url, header };
  Source source = Source::url;
  std::string header_name;  // set when source == header

  bool operator==(const HashKey&) const = default;
};

// "url" or "header:NAME" (NAME an HTTP token); nullopt for anything else.
std::optional<HashKey> parse_hash_key(std::string_view text);

}  // namespace shoal::pool::policy
