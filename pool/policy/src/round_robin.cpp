#include "policies.hpp"

namespace shoal::pool::policy {

std::optional<size_t> RoundRobinBalancer::choose(const RequestKey&) {
  size_t n = m_backends.size();
  for (size_t k = 0; k < n; ++k) {
    size_t i = (m_next + k) % n;
    if (eligible(m_backends[i])) {
      m_next = (i + 1) % n;
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace shoal::pool::policy
