// Balancer: picks the backend (instance) for each request of one service.
//
// The set of backends changes at run time: the supervisor add()s instances when
// they become ready, marks them unavailable (unhealthy) or draining (scale-down)
// and remove()s them when they are gone. The gateway calls pick() for each
// request, then on_start() when the request is sent and on_finish() when its
// response is complete; the balancer keeps each backend's requests in flight
// and EWMA response time from these calls.
//
// Single-threaded (the daemon's event loop); no clock is read inside.
#pragma once

#include <stdint.h>

#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include <shoal/pool/policy/backend.hpp>
#include <shoal/pool/policy/balance_kind.hpp>
#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::policy {

struct BalancerOptions {
  BalanceKind kind = BalanceKind::round_robin;
  HashKey hash_key;                 // `hash` only
  uint32_t max_concurrency = 0;     // per backend; a backend at the cap is not picked (0 = no cap)
  double ewma_alpha = 0.3;          // weight of a new latency sample in the EWMA, (0, 1]
  Duration failure_penalty = std::chrono::seconds(1);  // a failed response counts as at least this slow
  double explore = 0.05;            // `least_time`: share of picks sent to a random backend (probes)
  uint32_t ketama_points = 160;     // `hash`: ring points per unit of weight
  uint32_t warm_load = 8;           // `warm_first`: requests in flight (x weight) before the next instance is woken
  uint64_t seed = 0x5eed5eed5eed5eedull;  // random choices (p2c, least_time probes) and hash seed
};

class Balancer {
 public:
  explicit Balancer(const BalancerOptions& options) : m_options(options) {}
  virtual ~Balancer() = default;
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  const BalancerOptions& options() const { return m_options; }

  // Adds a backend (available), or updates the weight of one already present.
  // A weight of 0 is taken as 1.
  void add(BackendId id, uint32_t weight = 1);
  // Removes a backend; false if unknown. Later on_finish() calls for it are ignored.
  bool remove(BackendId id);
  // Marks a backend available / unavailable / draining; false if unknown.
  bool set_state(BackendId id, BackendState state);

  // The backend for this request, or nullopt when no backend is available or
  // every available one is at max_concurrency. Does not count the request:
  // call on_start() when it is sent.
  std::optional<BackendId> pick(const RequestKey& key);

  void on_start(BackendId id);
  // A request counted by on_start() that was never sent (the gateway found no
  // free channel slot and queued it again): forgets it without a latency
  // sample. Unknown ids are ignored.
  void on_cancel(BackendId id);
  // `latency`: request sent to response complete. `ok`: false for a connection
  // error, a timeout or a 5xx. Unknown ids are ignored.
  void on_finish(BackendId id, Duration latency, bool ok);

  const Backend* find(BackendId id) const;
  std::span<const Backend> backends() const { return m_backends; }
  // Backends in state `available` (whether or not at their cap).
  size_t available_count() const;

 protected:
  // True if the backend may take a request now.
  bool eligible(const Backend& b) const {
    return b.state == BackendState::available &&
           (m_options.max_concurrency == 0 || b.in_flight < m_options.max_concurrency);
  }
  // The index in m_backends of the chosen backend; only eligible ones may be returned.
  virtual std::optional<size_t> choose(const RequestKey& key) = 0;
  // m_backends gained, lost or reweighted a backend (indexes may have moved).
  virtual void membership_changed() {}
  // One backend joined (already in m_backends) or left (already gone); called
  // before membership_changed(), so a policy that keeps its own order of
  // backends need not rebuild it from scratch (10,000 instances join one by one).
  virtual void backend_added(BackendId) {}
  virtual void backend_removed(BackendId) {}
  // The index in m_backends of a backend, or nullopt.
  std::optional<size_t> index_of(BackendId id) const {
    auto it = m_index.find(id);
    if (it == m_index.end()) return std::nullopt;
    return it->second;
  }

  BalancerOptions m_options;
  std::vector<Backend> m_backends;  // in order of addition

 private:
  Backend* find_mutable(BackendId id);
  void reindex();

  std::unordered_map<BackendId, size_t> m_index;
};

std::unique_ptr<Balancer> make_balancer(const BalancerOptions& options);

}  // namespace shoal::pool::policy
