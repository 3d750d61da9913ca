// Health of one instance, from active checks (the supervisor probes an HTTP
// path every `interval`) and from passive observation (errors on real traffic).
// Either one marking the instance unhealthy takes it out of the balancer.
#pragma once

#include <stdint.h>

#include <optional>

#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::policy {

enum class HealthChange : uint8_t { none, became_healthy, became_unhealthy };

struct ActiveHealthConfig {
  Duration interval = std::chrono::seconds(1);
  Duration timeout = std::chrono::milliseconds(500);  // a probe without an answer by then failed
  uint32_t rise = 2;  // consecutive successes that make an unhealthy instance healthy
  uint32_t fall = 3;  // consecutive failures that make a healthy instance unhealthy
};

// Active checks: when to probe, and what the results add up to. The caller
// sends the probe, enforces config.timeout, and reports the outcome.
class ActiveHealth {
 public:
  // `healthy`: the state before any probe. shoald starts instances healthy
  // because readiness (listening on the port) has already been seen; the first
  // probe is due at once.
  ActiveHealth(const ActiveHealthConfig& config, TimePoint now, bool healthy = true)
      : m_config(config), m_healthy(healthy), m_next_probe(now) {}

  bool healthy() const { return m_healthy; }
  // A probe should be sent now: none is in flight and the interval has passed.
  bool probe_due(TimePoint now) const { return !m_in_flight && now >= m_next_probe; }
  TimePoint next_probe() const { return m_next_probe; }
  bool probe_in_flight() const { return m_in_flight; }
  // The probe sent at `now`; the next one is due one interval later (not one
  // interval after the answer, so a slow answer does not stretch the period).
  void probe_sent(TimePoint now);
  TimePoint probe_deadline() const { return m_deadline; }
  // The outcome of the probe in flight (a timeout is ok = false).
  HealthChange probe_result(bool ok);

  uint32_t consecutive_successes() const { return m_successes; }
  uint32_t consecutive_failures() const { return m_failures; }

 private:
  ActiveHealthConfig m_config;
  bool m_healthy;
  bool m_in_flight = false;
  TimePoint m_next_probe;
  TimePoint m_deadline{};
  uint32_t m_successes = 0;
  uint32_t m_failures = 0;
};

struct PassiveHealthConfig {
  uint32_t max_errors = 5;  // consecutive failed requests that make the instance unhealthy; 0 = off
  Duration cooldown = std::chrono::seconds(10);  // how long it then stays out
};

// Passive checks: `max_errors` consecutive failures on real traffic (connection
// errors, timeouts, 5xx) take the instance out for `cooldown`. It then comes
// back on probation: its first request decides, one failure sends it out for
// another cool-down, one success clears it.
class PassiveHealth {
 public:
  explicit PassiveHealth(const PassiveHealthConfig& config) : m_config(config) {}

  bool healthy() const { return !m_until.has_value(); }
  bool on_probation() const { return m_probation; }
  // The end of the current cool-down (for the event loop's timer).
  std::optional<TimePoint> cooldown_until() const { return m_until; }

  HealthChange record(bool ok, TimePoint now);
  // Ends the cool-down once it has passed: became_healthy (on probation).
  HealthChange poll(TimePoint now);

  uint32_t consecutive_errors() const { return m_errors; }

 private:
  PassiveHealthConfig m_config;
  uint32_t m_errors = 0;
  bool m_probation = false;
  std::optional<TimePoint> m_until;
};

}  // namespace shoal::pool::policy
