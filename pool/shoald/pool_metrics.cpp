#include "pool_metrics.hpp"

#include <shoal/pool/metrics/prometheus.hpp>

namespace shoal::pool {

Result<std::unique_ptr<PoolMetrics>> PoolMetrics::create() {
  auto m = std::unique_ptr<PoolMetrics>(new PoolMetrics());
  auto& r = m->m_registry;
  m->m_requests = TRY(r.counter("shoal_requests_total", "Requests answered, by service and HTTP status.",
                                {"service", "code"}));
  m->m_duration = TRY(r.histogram("shoal_request_duration_seconds",
                                  "Time from a request's arrival to the end of its response.", {"service"}));
  m->m_in_flight = TRY(r.gauge("shoal_in_flight", "Requests outstanding on the service's instances.", {"service"}));
  m->m_queue = TRY(r.gauge("shoal_queue_length",
                           "Requests held by the gateway until the service has capacity (cold start or queue).",
                           {"service"}));
  m->m_instances = TRY(r.gauge("shoal_instances", "Instances by state.", {"service", "state"}));
  m->m_desired = TRY(r.gauge("shoal_desired_instances", "The instance count the service is moving toward.",
                             {"service"}));
  m->m_restarts = TRY(r.counter("shoal_restarts_total", "Instances that exited unexpectedly and were replaced.",
                                {"service"}));
  m->m_cold_starts = TRY(r.counter("shoal_cold_starts_total", "Instances started (spawn to ready).", {"service"}));
  m->m_cold_start_duration = TRY(r.histogram("shoal_cold_start_duration_seconds",
                                             "Time from spawning an instance (or waking a warm monitor) to it "
                                             "listening on its port, by how it started.",
                                             {"service", "kind"}));
  m->m_warm = TRY(r.gauge("shoal_warm_monitors", "Monitors started on the snapshot and waiting to be taken.",
                          {"service"}));
  m->m_activations = TRY(r.counter("shoal_activations_total",
                                   "Starts of a service that had no instance while requests waited (scale from zero).",
                                   {"service"}));
  m->m_health_failures = TRY(r.counter("shoal_health_failures_total",
                                       "Instances taken out of the balancer by health checks.", {"service", "kind"}));
  return m;
}

PoolMetrics::ServiceSeries& PoolMetrics::service(const std::string& name) {
  auto it = m_services.find(name);
  if (it != m_services.end()) return *it->second;
  auto s = std::make_unique<ServiceSeries>();
  s->name = name;
  s->duration = &m_duration->with({name});
  s->in_flight = &m_in_flight->with({name});
  s->queue = &m_queue->with({name});
  s->starting = &m_instances->with({name, "starting"});
  s->ready = &m_instances->with({name, "ready"});
  s->draining = &m_instances->with({name, "draining"});
  s->desired = &m_desired->with({name});
  s->restarts = &m_restarts->with({name});
  s->cold_starts = &m_cold_starts->with({name});
  for (size_t k = 0; k < kStartKinds; ++k)
    s->cold_start_duration[k] = &m_cold_start_duration->with({name, to_string(static_cast<StartKind>(k))});
  s->warm = &m_warm->with({name});
  s->activations = &m_activations->with({name});
  s->active_health_failures = &m_health_failures->with({name, "active"});
  s->passive_health_failures = &m_health_failures->with({name, "passive"});
  return *m_services.emplace(name, std::move(s)).first->second;
}

void PoolMetrics::record_request(ServiceSeries& s, int status, uint64_t latency_ns) {
  if (status < 100 || status > 599) status = 0;  // 0: no status (the client went away)
  metrics::Counter*& c = s.by_status[static_cast<size_t>(status)];
  if (!c) c = &m_requests->with({s.name, std::to_string(status)});
  c->inc();
  s.duration->observe(static_cast<double>(latency_ns) / 1e9);
}

std::string PoolMetrics::render() const { return metrics::to_prometheus(m_registry); }

}  // namespace shoal::pool
