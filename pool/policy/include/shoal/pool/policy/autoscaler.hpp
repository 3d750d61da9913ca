// Autoscaler: the number of instances a service should have, in the manner of
// Knative's KPA (Knative Pod Autoscaler), decided every few milliseconds.
//
// Input: the service's concurrency (requests in flight over all instances,
// plus requests queued or held for them), reported with observe() whenever it
// changes or on a tick, and on_request() for each arriving request.
//
//   stable = average concurrency over stable_window (60 s), panic = over panic_window (6 s)
//   desired_stable = ceil(stable / target), desired_panic = ceil(panic / target)
//   both clamped to [floor(ready / max_scale_down_rate), ceil(ready x max_scale_up_rate)]
//   panic mode starts when desired_panic >= panic_threshold x ready (ready taken as >= 1)
//   and ends once a stable window has passed without that condition. In panic the
//   result is max(desired_stable, desired_panic) and never drops (no scale-down);
//   otherwise it is desired_stable.
//   Then, in order:
//   - within the first stable window, not below initial_instances;
//   - with min_instances = 0: 0 once the service has been idle (no request
//     arriving, nothing in flight) for scale_to_zero_after, else at least 1;
//     so a request arriving at zero makes the result >= 1 at once (activation),
//     and the averages then start over, so the burst that wakes the service
//     is not diluted by the silence before it;
//   - clamped to [min_instances, max_instances].
//
// Single-threaded; time is passed in.
#pragma once

#include <stdint.h>

#include <optional>

#include <shoal/pool/policy/level_average.hpp>
#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::policy {

struct AutoscaleConfig {
  double target = 10;  // concurrent requests per instance
  Duration stable_window = std::chrono::seconds(60);
  Duration panic_window = std::chrono::seconds(6);
  double panic_threshold = 2.0;
  uint32_t min_instances = 0;
  uint32_t max_instances = 10;
  uint32_t initial_instances = 1;
  double max_scale_up_rate = 1000;  // desired <= ceil(rate x ready)
  double max_scale_down_rate = 2;   // desired >= floor(ready / rate)
  Duration scale_to_zero_after = std::chrono::seconds(30);
  Duration granularity = std::chrono::milliseconds(100);  // averaging resolution
};

// What the last decision was made of (for metrics and `shoal top`).
struct AutoscaleStatus {
  double stable_concurrency = 0;
  double panic_concurrency = 0;
  uint32_t desired_stable = 0;
  uint32_t desired_panic = 0;
  bool panicking = false;
  bool idle = false;  // idle long enough to scale to zero (min_instances = 0 only)
  uint32_t desired = 0;
};

class Autoscaler {
 public:
  Autoscaler(const AutoscaleConfig& config, TimePoint now);

  // The service's concurrency from `now` on.
  void observe(TimePoint now, double concurrency);
  // A request arrived (restarts the idle clock; activation from zero).
  void on_request(TimePoint now);

  // The instance count to aim for, given the instances ready now.
  uint32_t desired(TimePoint now, uint32_t ready_instances);

  bool panicking() const { return m_panic_since.has_value(); }
  const AutoscaleStatus& status() const { return m_status; }
  const AutoscaleConfig& config() const { return m_config; }

 private:
  AutoscaleConfig m_config;
  TimePoint m_created;
  LevelAverage m_level;
  std::optional<TimePoint> m_last_request;
  std::optional<TimePoint> m_panic_since;  // last time the panic condition held
  uint32_t m_max_panic = 0;                // highest count decided during this panic
  bool m_idle = false;                     // the last decision was zero for idleness
  AutoscaleStatus m_status;

  void restart_history_if_idle(TimePoint now);
};

}  // namespace shoal::pool::policy
