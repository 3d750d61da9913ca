#include "policies.hpp"

namespace shoal::pool::policy {

void WeightedBalancer::membership_changed() {
  // As nginx does on reconfiguration: every backend starts from zero.
  m_current.assign(m_backends.size(), 0);
}

std::optional<size_t> WeightedBalancer::choose(const RequestKey&) {
  if (m_current.size() != m_backends.size()) m_current.assign(m_backends.size(), 0);
  int64_t total = 0;
  std::optional<size_t> best;
  for (size_t i = 0; i < m_backends.size(); ++i) {
    const Backend& b = m_backends[i];
    if (!eligible(b)) continue;
    m_current[i] += b.weight;
    total += b.weight;
    if (!best || m_current[i] > m_current[*best]) best = i;
  }
  if (best) m_current[*best] -= total;
  return best;
}

}  // namespace shoal::pool::policy
