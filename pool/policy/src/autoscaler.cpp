#include <shoal/pool/policy/autoscaler.hpp>

#include <algorithm>
#include <cmath>

namespace shoal::pool::policy {
namespace {

uint32_t to_count(double value) {
  if (!(value > 0)) return 0;
  return value >= 1e9 ? 1000000000u : static_cast<uint32_t>(value);
}

}  // namespace

Autoscaler::Autoscaler(const AutoscaleConfig& config, TimePoint now)
    : m_config(config),
      m_created(now),
      m_level(std::max(config.stable_window, config.panic_window), config.granularity, now) {}

void Autoscaler::restart_history_if_idle(TimePoint now) {
  if (!m_idle) return;
  // NOTE: coming back from zero, the minutes of silence before must not dilute
  // the burst that wakes the service: averages start over from here (as
  // Knative averages only over the data it has).
  m_level = LevelAverage(std::max(m_config.stable_window, m_config.panic_window), m_config.granularity, now,
                         m_level.level());
  m_idle = false;
}

void Autoscaler::observe(TimePoint now, double concurrency) {
  if (concurrency > 0) restart_history_if_idle(now);
  m_level.set(now, std::max(concurrency, 0.0));
}

void Autoscaler::on_request(TimePoint now) {
  restart_history_if_idle(now);
  if (!m_last_request || now > *m_last_request) m_last_request = now;
}

uint32_t Autoscaler::desired(TimePoint now, uint32_t ready_instances) {
  AutoscaleStatus s;
  double target = m_config.target > 0 ? m_config.target : 1;
  s.stable_concurrency = m_level.average(now, m_config.stable_window);
  s.panic_concurrency = m_level.average(now, m_config.panic_window);

  double ready = std::max<double>(ready_instances, 1);
  double max_up = std::ceil(std::max(m_config.max_scale_up_rate, 1.0) * ready);
  double max_down = std::floor(ready / std::max(m_config.max_scale_down_rate, 1.0));
  // NOTE: tiny averages (a few ns of one request) would round up to a whole
  // instance; 1e-9 of a request is noise.
  double want_stable = std::ceil(s.stable_concurrency / target - 1e-9);
  double want_panic = std::ceil(s.panic_concurrency / target - 1e-9);
  s.desired_stable = to_count(std::clamp(want_stable, max_down, max_up));
  s.desired_panic = to_count(std::clamp(want_panic, max_down, max_up));

  bool over_threshold = want_panic / ready >= m_config.panic_threshold;
  if (over_threshold) {
    m_panic_since = now;  // enter, or extend
  } else if (m_panic_since && now - *m_panic_since >= m_config.stable_window) {
    m_panic_since.reset();  // the surge has been in the stable average for a whole window
    m_max_panic = 0;
  }

  uint32_t desired = s.desired_stable;
  if (m_panic_since) {
    desired = std::max({desired, s.desired_panic, m_max_panic});
    m_max_panic = desired;
  }

  if (now - m_created < m_config.stable_window) desired = std::max(desired, m_config.initial_instances);

  if (m_config.min_instances == 0) {
    // The idle clock runs from the last request; before any, from creation,
    // except that a service created with no instances is idle from the start.
    bool quiet;
    if (m_last_request)
      quiet = now - *m_last_request >= m_config.scale_to_zero_after;
    else
      quiet = m_config.initial_instances == 0 || now - m_created >= m_config.scale_to_zero_after;
    s.idle = m_level.level() <= 0 && quiet;
    m_idle = s.idle;
    if (s.idle) {
      desired = 0;
      m_panic_since.reset();
      m_max_panic = 0;
    } else {
      desired = std::max(desired, 1u);
    }
  }

  desired = std::clamp(desired, m_config.min_instances, std::max(m_config.max_instances, m_config.min_instances));
  s.panicking = m_panic_since.has_value();
  s.desired = desired;
  m_status = s;
  return desired;
}

}  // namespace shoal::pool::policy
