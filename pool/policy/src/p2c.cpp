#include "policies.hpp"

namespace shoal::pool::policy {

std::optional<size_t> P2cBalancer::choose(const RequestKey&) {
  m_eligible.clear();
  for (size_t i = 0; i < m_backends.size(); ++i)
    if (eligible(m_backends[i])) m_eligible.push_back(i);
  if (m_eligible.empty()) return std::nullopt;
  if (m_eligible.size() == 1) return m_eligible[0];
  size_t a = m_random.below(m_eligible.size());
  size_t b = m_random.below(m_eligible.size() - 1);
  if (b >= a) ++b;  // two distinct choices
  const Backend& x = m_backends[m_eligible[a]];
  const Backend& y = m_backends[m_eligible[b]];
  // y wins only if strictly less loaded relative to weight (ties: the first draw).
  bool y_better = uint64_t{y.in_flight} * x.weight < uint64_t{x.in_flight} * y.weight;
  return y_better ? m_eligible[b] : m_eligible[a];
}

}  // namespace shoal::pool::policy
