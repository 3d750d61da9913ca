#include <shoal/pool/policy/health.hpp>

namespace shoal::pool::policy {

void ActiveHealth::probe_sent(TimePoint now) {
  m_in_flight = true;
  m_deadline = now + m_config.timeout;
  m_next_probe = now + m_config.interval;
}

HealthChange ActiveHealth::probe_result(bool ok) {
  m_in_flight = false;
  if (ok) {
    m_failures = 0;
    ++m_successes;
    if (!m_healthy && m_successes >= m_config.rise) {
      m_healthy = true;
      return HealthChange::became_healthy;
    }
  } else {
    m_successes = 0;
    ++m_failures;
    if (m_healthy && m_failures >= m_config.fall) {
      m_healthy = false;
      return HealthChange::became_unhealthy;
    }
  }
  return HealthChange::none;
}

HealthChange PassiveHealth::record(bool ok, TimePoint now) {
  if (m_config.max_errors == 0) return HealthChange::none;
  // Outcomes of requests sent before the cool-down began change nothing.
  if (m_until) return HealthChange::none;
  if (ok) {
    m_errors = 0;
    m_probation = false;
    return HealthChange::none;
  }
  ++m_errors;
  if (m_probation || m_errors >= m_config.max_errors) {
    m_until = now + m_config.cooldown;
    m_probation = false;
    m_errors = 0;
    return HealthChange::became_unhealthy;
  }
  return HealthChange::none;
}

HealthChange PassiveHealth::poll(TimePoint now) {
  if (!m_until || now < *m_until) return HealthChange::none;
  m_until.reset();
  m_probation = true;
  return HealthChange::became_healthy;
}

}  // namespace shoal::pool::policy
