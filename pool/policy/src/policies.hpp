// The concrete balancing policies; make_balancer() is the only way in.
#pragma once

#include <stdint.h>

#include <unordered_map>
#include <utility>
#include <vector>

#include <shoal/pool/policy/balancer.hpp>

#include "random.hpp"

namespace shoal::pool::policy {

// Each available backend in turn.
class RoundRobinBalancer final : public Balancer {
 public:
  using Balancer::Balancer;

 private:
  std::optional<size_t> choose(const RequestKey& key) override;
  size_t m_next = 0;
};

// nginx's smooth weighted round robin: every pick adds each backend's weight
// to its current value, takes the largest, and subtracts the total from it.
// Weights {5,1,1} give a a b a c a a: heavy backends are spread out, not bursty.
class WeightedBalancer final : public Balancer {
 public:
  using Balancer::Balancer;

 private:
  std::optional<size_t> choose(const RequestKey& key) override;
  void membership_changed() override;
  std::vector<int64_t> m_current;  // parallel to m_backends
};

// Fewest requests in flight relative to weight; among equals, the first one
// found scanning from just past the previous pick, so ties go round robin.
class LeastConnBalancer final : public Balancer {
 public:
  using Balancer::Balancer;

 private:
  std::optional<size_t> choose(const RequestKey& key) override;
  size_t m_next = 0;
};

// Rendezvous (highest random weight) hashing of the client address: each
// backend scores hash(ip, backend) and the best score wins. The same client
// lands on the same backend while it is available, and when a backend leaves
// only its clients move. Weights scale the score (score = ln(u) / weight).
class IpHashBalancer final : public Balancer {
 public:
  using Balancer::Balancer;

 private:
  std::optional<size_t> choose(const RequestKey& key) override;
};

// Consistent hashing on a ketama ring: each backend owns ketama_points x weight
// points; a key goes to the owner of the first point at or after its hash,
// skipping backends that cannot take it. Adding a backend to N moves ~1/(N+1)
// of the keys, all of them to the new backend.
class KetamaBalancer final : public Balancer {
 public:
  using Balancer::Balancer;

 private:
  std::optional<size_t> choose(const RequestKey& key) override;
  void membership_changed() override;
  std::vector<std::pair<uint64_t, BackendId>> m_ring;  // sorted by point
};

// Power of two choices: two distinct random eligible backends, the one with
// fewer requests in flight (relative to weight) wins.
class P2cBalancer final : public Balancer {
 public:
  explicit P2cBalancer(const BalancerOptions& options) : Balancer(options), m_random(options.seed) {}

 private:
  std::optional<size_t> choose(const RequestKey& key) override;
  Random m_random;
  std::vector<size_t> m_eligible;  // scratch, kept to avoid an allocation per pick
};

// Lowest expected wait: EWMA response time x (requests in flight + 1).
// Backends never tried come first; a share `explore` of picks goes to a random
// backend so a backend that was slow once is measured again.
class LeastTimeBalancer final : public Balancer {
 public:
  explicit LeastTimeBalancer(const BalancerOptions& options) : Balancer(options), m_random(options.seed) {}

 private:
  std::optional<size_t> choose(const RequestKey& key) override;
  Random m_random;
  size_t m_next = 0;
  std::vector<size_t> m_eligible;
};

// The most recently picked backend that has fewer than warm_load x weight
// requests in flight; only when every one is at that load, the least loaded
// (most recent first among equals). Backends are kept in most-recently-used
// order: a pick moves its backend to the front, new backends join at the back.
// So a service's load stays on as few instances as it needs (concurrency /
// warm_load of them), whose vCPU threads are awake and whose pages are in the
// host's caches; the rest sleep in their `block` hypercall and are not woken.
// A pick looks at the loaded backends at the front and the first one below
// its load: O(1) with many idle backends, O(N) only when all are loaded.
class WarmFirstBalancer final : public Balancer {
 public:
  using Balancer::Balancer;

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Node {
    BackendId id = 0;
    uint32_t prev = kNil, next = kNil;
  };

  std::optional<size_t> choose(const RequestKey& key) override;
  void backend_added(BackendId id) override;
  void backend_removed(BackendId id) override;
  void unlink(uint32_t n);
  void push_front(uint32_t n);
  void push_back(uint32_t n);

  std::vector<Node> m_nodes;                       // the list's nodes, reused through m_free
  std::vector<uint32_t> m_free;                    // unused entries of m_nodes
  std::unordered_map<BackendId, uint32_t> m_node;  // backend -> its node
  uint32_t m_head = kNil, m_tail = kNil;           // most / least recently picked
};

}  // namespace shoal::pool::policy
