#include <shoal/pool/policy/restart_backoff.hpp>

#include <algorithm>

namespace shoal::pool::policy {

Duration RestartBackoff::on_exit(TimePoint now) {
  if (m_ready_since && now - *m_ready_since >= m_config.reset_after) m_failures = 0;
  m_ready_since.reset();
  // initial x factor^failures, computed in double and capped before it can overflow.
  double delay = static_cast<double>(m_config.initial.count());
  double cap = static_cast<double>(m_config.max.count());
  for (uint32_t i = 0; i < m_failures && delay < cap; ++i) delay *= std::max(m_config.factor, 1.0);
  ++m_failures;
  return Duration{static_cast<int64_t>(std::min(delay, cap))};
}

}  // namespace shoal::pool::policy
