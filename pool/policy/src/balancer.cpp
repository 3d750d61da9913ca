// The part every policy shares: membership, in-flight counts, EWMA latency.
#include <shoal/pool/policy/balancer.hpp>

#include <algorithm>

#include "policies.hpp"

namespace shoal::pool::policy {

void Balancer::add(BackendId id, uint32_t weight) {
  weight = std::max<uint32_t>(weight, 1);
  if (Backend* b = find_mutable(id)) {
    if (b->weight == weight) return;
    b->weight = weight;
  } else {
    m_backends.push_back(Backend{.id = id, .weight = weight});
    m_index[id] = m_backends.size() - 1;
    backend_added(id);
  }
  membership_changed();
}

bool Balancer::remove(BackendId id) {
  auto it = m_index.find(id);
  if (it == m_index.end()) return false;
  m_backends.erase(m_backends.begin() + static_cast<ptrdiff_t>(it->second));
  reindex();
  backend_removed(id);
  membership_changed();
  return true;
}

bool Balancer::set_state(BackendId id, BackendState state) {
  Backend* b = find_mutable(id);
  if (!b) return false;
  b->state = state;
  return true;
}

std::optional<BackendId> Balancer::pick(const RequestKey& key) {
  if (m_backends.empty()) return std::nullopt;
  std::optional<size_t> index = choose(key);
  if (!index) return std::nullopt;
  return m_backends[*index].id;
}

void Balancer::on_start(BackendId id) {
  if (Backend* b = find_mutable(id)) ++b->in_flight;
}

void Balancer::on_cancel(BackendId id) {
  Backend* b = find_mutable(id);
  if (b && b->in_flight > 0) --b->in_flight;
}

void Balancer::on_finish(BackendId id, Duration latency, bool ok) {
  Backend* b = find_mutable(id);
  if (!b) return;
  if (b->in_flight > 0) --b->in_flight;
  // NOTE: a backend that fails fast must not look fast to least_time, so a
  // failure counts as at least failure_penalty.
  Duration sample = std::max(latency, Duration{0});
  if (!ok) sample = std::max(sample, m_options.failure_penalty);
  if (b->responses == 0) {
    b->ewma_latency = sample;
  } else {
    double alpha = std::clamp(m_options.ewma_alpha, 0.0, 1.0);
    double next = alpha * static_cast<double>(sample.count()) +
                  (1.0 - alpha) * static_cast<double>(b->ewma_latency.count());
    b->ewma_latency = Duration{static_cast<int64_t>(next)};
  }
  ++b->responses;
}

const Backend* Balancer::find(BackendId id) const {
  auto it = m_index.find(id);
  return it == m_index.end() ? nullptr : &m_backends[it->second];
}

size_t Balancer::available_count() const {
  return static_cast<size_t>(std::count_if(m_backends.begin(), m_backends.end(),
                                           [](const Backend& b) { return b.state == BackendState::available; }));
}

Backend* Balancer::find_mutable(BackendId id) {
  auto it = m_index.find(id);
  return it == m_index.end() ? nullptr : &m_backends[it->second];
}

void Balancer::reindex() {
  m_index.clear();
  for (size_t i = 0; i < m_backends.size(); ++i) m_index[m_backends[i].id] = i;
}

std::unique_ptr<Balancer> make_balancer(const BalancerOptions& options) {
  switch (options.kind) {
    case BalanceKind::round_robin: return std::make_unique<RoundRobinBalancer>(options);
    case BalanceKind::weighted: return std::make_unique<WeightedBalancer>(options);
    case BalanceKind::least_conn: return std::make_unique<LeastConnBalancer>(options);
    case BalanceKind::ip_hash: return std::make_unique<IpHashBalancer>(options);
    case BalanceKind::hash: return std::make_unique<KetamaBalancer>(options);
    case BalanceKind::p2c: return std::make_unique<P2cBalancer>(options);
    case BalanceKind::least_time: return std::make_unique<LeastTimeBalancer>(options);
    case BalanceKind::warm_first: return std::make_unique<WarmFirstBalancer>(options);
  }
  return std::make_unique<RoundRobinBalancer>(options);
}

}  // namespace shoal::pool::policy
