// Supervisor: active health checks (probes over a channel slot) and passive
// ones (errors on real traffic). Either failing takes the instance out of the
// balancer; it comes back when both agree it is healthy.
#include "supervisor.hpp"
#include "time_points.hpp"

namespace shoal::pool {

namespace {
std::string instance_name(const Instance& i) { return i.service->name() + "/" + std::to_string(i.index); }
}  // namespace

void Supervisor::schedule_probe(Instance& i, Duration delay) {
  InstanceRuntime& r = *i.runtime;
  if (r.probe_timer) m_loop.cancel(r.probe_timer);
  uint64_t id = i.id;
  r.probe_timer = m_loop.after(delay, [this, id] {
    Instance* p = find_instance(id);
    if (!p) return;
    p->runtime->probe_timer = 0;
    run_probe(id);
  });
}

void Supervisor::run_probe(uint64_t id) {
  Instance* i = find_instance(id);
  if (!i || i->state != InstanceState::ready || !i->runtime->active_health) return;
  ServiceRuntime& rt = rt_of(*i->service);
  InstanceRuntime& r = *i->runtime;
  const spec::HealthCheck& hc = *rt.spec.health;
  uint64_t now = EventLoop::now_ns();
  auto probe = HealthProbe::start(*i, hc.path, [this, id](bool ok, std::string why) { probe_done(id, ok, why); });
  if (!probe) {
    // No free slot: the instance is busy serving, which is no sign of
    // sickness. Try again next interval.
    schedule_probe(*i, hc.config.interval);
    return;
  }
  r.probe = std::move(probe.value());
  r.active_health->probe_sent(time_point(now));
  r.probe_timer = m_loop.after(hc.config.timeout, [this, id] {
    Instance* p = find_instance(id);
    if (!p) return;
    p->runtime->probe_timer = 0;
    probe_done(id, false, "no answer within the timeout");
  });
}

void Supervisor::probe_done(uint64_t id, bool ok, const std::string& why) {
  Instance* i = find_instance(id);
  if (!i || !i->runtime->probe) return;
  InstanceRuntime& r = *i->runtime;
  // Not destroyed here: this may run inside the probe's own callback.
  HealthProbe* probe = r.probe.release();
  m_loop.defer([probe] { delete probe; });
  if (r.probe_timer) m_loop.cancel(r.probe_timer);
  r.probe_timer = 0;
  if (i->state != InstanceState::ready || !r.active_health) return;
  ServiceRuntime& rt = rt_of(*i->service);
  policy::HealthChange change = r.active_health->probe_result(ok);
  if (change == policy::HealthChange::became_unhealthy) {
    r.active_ok = false;
    rt.series->active_health_failures->inc();
    notice(instance_name(*i) + ": unhealthy (health check " + rt.spec.health->path + ": " + why + ")");
    update_membership(*i);
  } else if (change == policy::HealthChange::became_healthy) {
    r.active_ok = true;
    notice(instance_name(*i) + ": healthy again");
    update_membership(*i);
  }
  uint64_t now = EventLoop::now_ns();
  uint64_t next = monotonic_ns(r.active_health->next_probe());
  schedule_probe(*i, Duration(next > now ? next - now : 0));
}

void Supervisor::passive_result(Instance& i, bool ok) {
  InstanceRuntime& r = *i.runtime;
  uint64_t now = EventLoop::now_ns();
  policy::HealthChange change = r.passive_health.record(ok, time_point(now));
  if (change == policy::HealthChange::became_healthy) {
    r.passive_ok = true;
    update_membership(i);
    return;
  }
  if (change != policy::HealthChange::became_unhealthy) return;
  ServiceRuntime& rt = rt_of(*i.service);
  r.passive_ok = false;
  rt.series->passive_health_failures->inc();
  notice(instance_name(i) + ": unhealthy (" + std::to_string(rt.spec.passive_health.max_errors) +
         " failed requests in a row; out for " +
         std::to_string(policy::to_ns(rt.spec.passive_health.cooldown) / 1000000) + " ms)");
  update_membership(i);
  if (auto until = r.passive_health.cooldown_until()) {
    uint64_t end = monotonic_ns(*until);
    uint64_t id = i.id;
    if (r.cooldown_timer) m_loop.cancel(r.cooldown_timer);
    r.cooldown_timer = m_loop.after(end > now ? end - now : 0, [this, id] { end_cooldown(id); });
  }
}

void Supervisor::end_cooldown(uint64_t id) {
  Instance* i = find_instance(id);
  if (!i) return;
  InstanceRuntime& r = *i->runtime;
  r.cooldown_timer = 0;
  if (r.passive_health.poll(time_point(EventLoop::now_ns())) == policy::HealthChange::became_healthy) {
    r.passive_ok = true;
    log(instance_name(*i) + ": back from its cool-down (on probation)");
    update_membership(*i);
  }
}

void Supervisor::update_membership(Instance& i) {
  if (i.state != InstanceState::ready) return;
  InstanceRuntime& r = *i.runtime;
  ServiceRuntime& rt = rt_of(*i.service);
  bool healthy = r.active_ok && r.passive_ok;
  if (healthy == i.healthy) return;
  i.healthy = healthy;
  rt.balancer->set_state(i.id, healthy ? policy::BackendState::available : policy::BackendState::unavailable);
  if (healthy) queue_capacity_notice(rt);
}

}  // namespace shoal::pool
