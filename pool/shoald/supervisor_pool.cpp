// Supervisor: the Pool interface the gateway calls for every request.
#include <arpa/inet.h>

#include "supervisor.hpp"
#include "time_points.hpp"

namespace shoal::pool {

Service* Supervisor::service(std::string_view name) {
  ServiceRuntime* rt = runtime(name);
  return rt ? &rt->service : nullptr;
}

Service* Supervisor::service_by_index(uint32_t index) {
  return index < m_services.size() ? &m_services[index]->service : nullptr;
}

Pick Supervisor::pick(Service& s, const RequestKey& key, const Instance* exclude) {
  if (m_stopping) return {Pick::reject, nullptr, "the pool is stopping"};
  ServiceRuntime& rt = rt_of(s);
  uint64_t now = EventLoop::now_ns();
  if (rt.autoscaler) rt.autoscaler->on_request(time_point(now));

  // First in, first out: while requests wait for this service, a new one
  // queues behind them instead of taking the capacity that just freed
  // (the notice then lets the head of the queue have it).
  if (!rt.renotifying && !exclude && rt.waiting > 0 && ready_count(rt) > 0) {
    if (rt.waiting >= rt.spec.queue) return {Pick::reject, nullptr, "queue full"};
    queue_capacity_notice(rt);
    return {Pick::wait};
  }

  char ip[INET_ADDRSTRLEN] = "";
  if (key.client_ipv4) inet_ntop(AF_INET, &key.client_ipv4, ip, sizeof ip);
  policy::RequestKey k{ip, key.url, key.hash_header};

  // A retry must land elsewhere: hide the instance that failed for this pick.
  bool hid = false;
  bool excluded_available = false;
  if (exclude) {
    const policy::Backend* b = rt.balancer->find(exclude->id);
    excluded_available = b && b->state == policy::BackendState::available;
    if (excluded_available) hid = rt.balancer->set_state(exclude->id, policy::BackendState::unavailable);
  }
  std::optional<policy::BackendId> id = rt.balancer->pick(k);
  if (hid) rt.balancer->set_state(exclude->id, policy::BackendState::available);

  if (id) {
    Instance* i = find_instance(*id);
    if (i && i->state == InstanceState::ready) {
      ++i->in_flight;
      rt.balancer->on_start(*id);
      if (!exclude) rt.retry_budget.on_request(time_point(now));
      return {Pick::instance, i};
    }
    rt.balancer->remove(*id);  // cannot happen: the balancer holds ready instances only
  }

  auto [low, high] = bounds(rt);
  if (high == 0) return {Pick::reject, nullptr, "scaled to zero"};  // by hand: refused, not held
  if (exclude && excluded_available && rt.balancer->available_count() <= 1) {
    // The one instance there is has just failed this request and is still
    // up: waiting would only wait for it again. Let the first error stand.
    return {Pick::reject, nullptr, "its only instance failed this request"};
  }
  if (ready_count(rt) == 0) {
    // Cold start: nothing runs (scaled to zero, or every instance crashed and
    // is being replaced). Activate; the gateway holds the request.
    activate(rt);
    return {Pick::wait};
  }
  // Instances are there but none can take it now (all at their concurrency
  // cap, or unhealthy): queue within the service's bound.
  if (!rt.renotifying && rt.waiting >= rt.spec.queue) return {Pick::reject, nullptr, "queue full"};
  return {Pick::wait};
}

void Supervisor::finish(Service& s, Instance& i, uint64_t latency_ns, int status, bool ok) {
  ServiceRuntime& rt = rt_of(s);
  (void)status;
  if (i.in_flight > 0) --i.in_flight;
  rt.balancer->on_finish(i.id, std::chrono::nanoseconds(latency_ns), ok);
  ++rt.requests;
  InstanceRuntime& r = *i.runtime;
  ++r.requests;
  if (!ok) ++r.errors;
  if (i.state == InstanceState::ready) passive_result(i, ok);
  if (i.state == InstanceState::draining) maybe_finish_drain(i);
  if (i.state == InstanceState::exited) destroy_when_idle(i);
  if (rt.waiting > 0) queue_capacity_notice(rt);
}

void Supervisor::cancel(Service& s, Instance& i) {
  ServiceRuntime& rt = rt_of(s);
  if (i.in_flight > 0) --i.in_flight;
  rt.balancer->on_cancel(i.id);
  if (i.state == InstanceState::draining) maybe_finish_drain(i);
  if (i.state == InstanceState::exited) destroy_when_idle(i);
}

void Supervisor::set_waiting(Service& s, uint32_t waiting) {
  ServiceRuntime& rt = rt_of(s);
  rt.waiting = waiting;
  if (waiting > 0 && ready_count(rt) == 0) activate(rt);
}

void Supervisor::record(Service& s, int status, uint64_t latency_ns) {
  m_metrics.record_request(*rt_of(s).series, status, latency_ns);
}

bool Supervisor::may_retry(Service& s) {
  return rt_of(s).retry_budget.try_retry(time_point(EventLoop::now_ns()));
}

}  // namespace shoal::pool
