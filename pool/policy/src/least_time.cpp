#include <algorithm>
#include <limits>
#include <tuple>

#include "policies.hpp"

namespace shoal::pool::policy {

std::optional<size_t> LeastTimeBalancer::choose(const RequestKey&) {
  size_t n = m_backends.size();
  m_eligible.clear();
  // The fastest measured backend's EWMA is the optimistic guess for backends
  // not measured yet, so they compete at once instead of waiting for a probe.
  double fastest = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < n; ++k) {
    size_t i = (m_next + k) % n;  // rotating start: ties go round robin
    const Backend& b = m_backends[i];
    if (!eligible(b)) continue;
    m_eligible.push_back(i);
    if (b.responses > 0) fastest = std::min(fastest, static_cast<double>(b.ewma_latency.count()));
  }
  if (m_eligible.empty()) return std::nullopt;
  if (fastest == std::numeric_limits<double>::infinity()) fastest = 0;

  size_t chosen;
  if (m_eligible.size() > 1 && m_options.explore > 0 && m_random.unit() < m_options.explore) {
    chosen = m_eligible[m_random.below(m_eligible.size())];
  } else {
    // Order: expected wait, then untried before tried, then fewer in flight;
    // the scan order breaks what remains.
    auto key_of = [&](const Backend& b) {
      double ewma = b.responses > 0 ? static_cast<double>(b.ewma_latency.count()) : fastest;
      double wait = ewma * (b.in_flight + 1.0) / b.weight;
      return std::tuple(wait, b.responses > 0, b.in_flight);
    };
    chosen = m_eligible[0];
    auto best = key_of(m_backends[chosen]);
    for (size_t i : m_eligible) {
      auto k = key_of(m_backends[i]);
      if (k < best) {
        best = k;
        chosen = i;
      }
    }
  }
  m_next = (chosen + 1) % n;
  return chosen;
}

}  // namespace shoal::pool::policy
