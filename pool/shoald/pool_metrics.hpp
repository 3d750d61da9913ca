// PoolMetrics: the Prometheus families shoald exposes on its admin listener
// (/metrics), per service:
//   shoal_requests_total{service,code}            counter
//   shoal_request_duration_seconds{service}       histogram
//   shoal_in_flight{service}                      gauge
//   shoal_queue_length{service}                   gauge (requests held for capacity)
//   shoal_instances{service,state}                gauge (starting/ready/draining)
//   shoal_desired_instances{service}              gauge (the autoscaler's decision)
//   shoal_restarts_total{service}                 counter (unexpected exits replaced)
//   shoal_cold_starts_total{service}              counter (spawn -> ready)
//   shoal_cold_start_duration_seconds{service,kind} histogram (kind = boot | snapshot | warm)
//   shoal_warm_monitors{service}                  gauge (monitors waiting on the snapshot)
//   shoal_activations_total{service}              counter (starts from zero)
//   shoal_health_failures_total{service,kind}     counter (kind = active | passive)
// Counters are bumped as things happen; gauges are set just before each
// scrape (Supervisor::update_gauges).
#pragma once

#include <stdint.h>

#include <array>
#include <memory>
#include <string>
#include <unordered_map>

#include <shoal/pool/metrics/metrics.hpp>

#include "shoal/base/result.hpp"
#include "start_kind.hpp"

namespace shoal::pool {

class PoolMetrics {
 public:
  static Result<std::unique_ptr<PoolMetrics>> create();

  // The series of one service, created on first use and cached.
  struct ServiceSeries {
    std::string name;
    metrics::Histogram* duration = nullptr;
    metrics::Gauge* in_flight = nullptr;
    metrics::Gauge* queue = nullptr;
    metrics::Gauge* starting = nullptr;
    metrics::Gauge* ready = nullptr;
    metrics::Gauge* draining = nullptr;
    metrics::Gauge* desired = nullptr;
    metrics::Counter* restarts = nullptr;
    metrics::Counter* cold_starts = nullptr;
    std::array<metrics::Histogram*, kStartKinds> cold_start_duration{};  // by StartKind
    metrics::Gauge* warm = nullptr;
    metrics::Counter* activations = nullptr;
    metrics::Counter* active_health_failures = nullptr;
    metrics::Counter* passive_health_failures = nullptr;
    std::array<metrics::Counter*, 600> by_status{};  // requests_total by code, lazily
  };
  ServiceSeries& service(const std::string& name);

  void record_request(ServiceSeries& s, int status, uint64_t latency_ns);

  metrics::Registry& registry() { return m_registry; }
  std::string render() const;

 private:
  PoolMetrics() = default;
  metrics::Registry m_registry;
  metrics::Family<metrics::Counter>* m_requests = nullptr;
  metrics::Family<metrics::Histogram>* m_duration = nullptr;
  metrics::Family<metrics::Gauge>* m_in_flight = nullptr;
  metrics::Family<metrics::Gauge>* m_queue = nullptr;
  metrics::Family<metrics::Gauge>* m_instances = nullptr;
  metrics::Family<metrics::Gauge>* m_desired = nullptr;
  metrics::Family<metrics::Counter>* m_restarts = nullptr;
  metrics::Family<metrics::Counter>* m_cold_starts = nullptr;
  metrics::Family<metrics::Histogram>* m_cold_start_duration = nullptr;
  metrics::Family<metrics::Gauge>* m_warm = nullptr;
  metrics::Family<metrics::Counter>* m_activations = nullptr;
  metrics::Family<metrics::Counter>* m_health_failures = nullptr;
  std::unordered_map<std::string, std::unique_ptr<ServiceSeries>> m_services;
};

}  // namespace shoal::pool
