// RestartBackoff: how long to wait before restarting an instance that exited.
//
// Exponential: initial, initial x factor, ... up to max. An instance that was
// ready for at least reset_after before it exited was healthy, so its next
// restart starts over from `initial`; a crash loop (exits before or soon after
// readiness) backs off to one attempt per `max`.
#pragma once

#include <stdint.h>

#include <optional>

#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::policy {

struct RestartBackoffConfig {
  Duration initial = std::chrono::milliseconds(10);
  double factor = 2.0;
  Duration max = std::chrono::seconds(10);
  Duration reset_after = std::chrono::seconds(10);
};

class RestartBackoff {
 public:
  explicit RestartBackoff(const RestartBackoffConfig& config) : m_config(config) {}

  // The instance became ready (listening) at `now`.
  void on_ready(TimePoint now) { m_ready_since = now; }
  // The instance exited at `now`: the delay before starting its replacement.
  Duration on_exit(TimePoint now);

  // Exits counted since the last reset.
  uint32_t failures() const { return m_failures; }

 private:
  RestartBackoffConfig m_config;
  uint32_t m_failures = 0;
  std::optional<TimePoint> m_ready_since;
};

}  // namespace shoal::pool::policy
