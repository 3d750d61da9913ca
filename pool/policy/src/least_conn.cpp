#include "policies.hpp"

namespace shoal::pool::policy {

std::optional<size_t> LeastConnBalancer::choose(const RequestKey&) {
  size_t n = m_backends.size();
  std::optional<size_t> best;
  for (size_t k = 0; k < n; ++k) {
    size_t i = (m_next + k) % n;
    const Backend& b = m_backends[i];
    if (!eligible(b)) continue;
    // in_flight / weight compared without division: a / wa < c / wc <=> a * wc < c * wa.
    if (!best || uint64_t{b.in_flight} * m_backends[*best].weight < uint64_t{m_backends[*best].in_flight} * b.weight)
      best = i;
  }
  if (best) m_next = (*best + 1) % n;
  return best;
}

}  // namespace shoal::pool::policy
