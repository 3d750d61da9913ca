// Supervisor: construction, scaling decisions, the control calls, shutdown.
// Instances are in supervisor_instances.cpp, health in supervisor_health.cpp,
// the Pool calls in supervisor_pool.cpp; channel events are the ChannelHub's
// (channel_hub.cpp).
#include "supervisor.hpp"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "time_points.hpp"

namespace shoal::pool {

Supervisor::Supervisor(EventLoop& loop, const spec::Spec& spec, SupervisorConfig config, PoolMetrics& metrics)
    : m_loop(loop), m_spec(spec), m_config(std::move(config)), m_metrics(metrics), m_watch(loop), m_hub(loop, *this) {
  uint64_t now = EventLoop::now_ns();
  for (size_t i = 0; i < m_spec.services.size(); ++i) {
    auto rt = std::make_unique<ServiceRuntime>(m_spec, m_spec.services[i]);
    const spec::Service& c = rt->spec;
    Service& s = rt->service;
    s.spec = &c;
    s.index = static_cast<uint32_t>(i);
    s.ipv4 = htonl((10u << 24) | (77u << 16) | static_cast<uint32_t>(i + 1));  // 10.77.0.<index+1>
    // An instance carries at most one request per host-opened channel slot:
    // that is its cap even when the spec sets none, so that requests beyond
    // it wait in the service's queue (and count for the autoscaler) instead
    // of finding no slot.
    // The balancer is a pool/policy object (the lower layer, which knows no
    // spec): it is built from the spec's balance, hash_key and cap.
    policy::BalancerOptions balancer;
    balancer.kind = c.balance;
    balancer.hash_key = c.hash_key;
    balancer.warm_load = c.warm_load;
    balancer.max_concurrency = c.max_concurrency;
    uint32_t slot_cap = c.channel_slots / 2;
    if (balancer.max_concurrency == 0 || balancer.max_concurrency > slot_cap) balancer.max_concurrency = slot_cap;
    s.max_concurrency = balancer.max_concurrency;
    rt->series = &m_metrics.service(c.name);
    rt->balancer = policy::make_balancer(balancer);
    if (c.autoscale) rt->autoscaler.emplace(*c.autoscale, time_point(now));
    rt->desired = c.initial_instances;
    m_services.push_back(std::move(rt));
  }
  m_snapshots = std::make_unique<SnapshotCache>(m_loop, m_config.snapshot_dir, m_config.vmm_path,
                                                [this](const std::string& line) { notice(line); },
                                                m_config.snapshot_check);
  // The cache calls back from deferred work, which may run after we are gone.
  m_snapshots->set_listener([this, alive = std::weak_ptr<bool>(m_alive)](uint32_t service) {
    if (alive.expired() || !*alive.lock()) return;
    on_snapshot_change(service);
  });
  m_warm = std::make_unique<WarmPool>(m_loop, m_watch, [this](uint32_t service, const std::string& how) {
    on_warm_death(service, how);
  });
  m_zygotes = std::make_unique<ZygotePool>(m_loop, m_watch, [this](uint32_t service, const std::string& how) {
    on_zygote_death(service, how);
  });
}

Supervisor::~Supervisor() {
  *m_alive = false;
  m_warm.reset();  // kills and reaps the waiting monitors
  m_zygotes.reset();  // the templates: their instances are ours and handled below
  for (auto& [service, m] : m_makers) {
    m_watch.kill_and_reap(m.process.pid);
    if (m.deadline) m_loop.cancel(m.deadline);
  }
  // Whatever still runs is killed and reaped: shoald does not leave
  // instances behind (they would also die of PR_SET_PDEATHSIG).
  for (auto& rt : m_services) {
    for (auto& i : rt->service.instances) {
      if (i->state == InstanceState::exited) continue;
      // The gateway is destroyed first (it borrows instances): its handlers
      // may be gone, so they are forgotten, not called. The probe is ours.
      if (i->runtime) i->runtime->probe.reset();
      i->slot_handlers.fill(nullptr);
      if (i->runtime) m_watch.kill_and_reap(i->pid);
      release_instance_resources(*i);
    }
    for (auto& [index, timer] : rt->pending_restarts) m_loop.cancel(timer);
  }
  for (EventLoop::TimerId t : {m_tick_timer, m_shutdown_timer, m_start_timer, m_sweep_timer})
    if (t) m_loop.cancel(t);
}

Result<void> Supervisor::start() {
  if (access(m_config.vmm_path.c_str(), X_OK) != 0)
    return errno_error(m_config.vmm_path + ": cannot execute the monitor");
  for (auto& rt : m_services)
    if (access(rt->spec.image_path.c_str(), R_OK) != 0)
      return errno_error(rt->where + ": " + rt->spec.image_path);
  m_started_ns = EventLoop::now_ns();
  m_last_sample_ns = m_started_ns;
  TRY(m_watch.open());
  m_hub.start();
  TRY(setup_snapshots());
  for (auto& rt : m_services) reconcile(*rt);
  m_tick_timer = m_loop.after(m_config.tick, [this] { tick(); });
  return {};
}

bool Supervisor::initial_ready() const {
  for (const auto& rt : m_services) {
    uint32_t want = rt->pinned.value_or(rt->spec.initial_instances);
    if (ready_count(*rt) < want) return false;
  }
  return true;
}

Supervisor::Progress Supervisor::initial_progress() const {
  Progress p;
  for (const auto& rt : m_services) {
    uint32_t want = rt->pinned.value_or(rt->spec.initial_instances);
    p.wanted += want;
    p.ready += std::min(want, ready_count(*rt));
    p.starting += rt->by_state[static_cast<size_t>(InstanceState::starting)];
  }
  return p;
}

Supervisor::ServiceRuntime* Supervisor::runtime(std::string_view name) {
  for (auto& rt : m_services)
    if (rt->service.name() == name) return rt.get();
  return nullptr;
}

Instance* Supervisor::find_instance(uint64_t id) {
  auto it = m_instances.find(id);
  return it == m_instances.end() ? nullptr : it->second;
}

std::pair<uint32_t, uint32_t> Supervisor::bounds(const ServiceRuntime& rt) const {
  if (rt.pinned) return {*rt.pinned, *rt.pinned};
  if (rt.autoscaler) return {rt.autoscaler->config().min_instances, rt.autoscaler->config().max_instances};
  return {rt.spec.initial_instances, rt.spec.initial_instances};
}

uint32_t Supervisor::ready_count(const ServiceRuntime& rt) const {
  return rt.by_state[static_cast<size_t>(InstanceState::ready)];
}

uint32_t Supervisor::live_count(const ServiceRuntime& rt) const {
  return static_cast<uint32_t>(rt.pending_restarts.size()) + rt.queued +
         rt.by_state[static_cast<size_t>(InstanceState::starting)] + ready_count(rt);
}

void Supervisor::tick() {
  m_tick_timer = m_loop.after(m_config.tick, [this] { tick(); });
  if (m_stopping) return;
  uint64_t now = EventLoop::now_ns();
  for (auto& rt : m_services) {
    uint32_t concurrency = rt->waiting;
    for (const auto& i : rt->service.instances) concurrency += i->in_flight;
    if (rt->autoscaler) {
      rt->autoscaler->observe(time_point(now), concurrency);
      uint32_t decided = rt->autoscaler->desired(time_point(now), ready_count(*rt));
      rt->desired = rt->pinned.value_or(decided);
    } else {
      rt->desired = rt->pinned.value_or(rt->spec.initial_instances);
    }
    reconcile(*rt);
  }
  if (now - m_last_sample_ns >= 1'000'000'000ull) sample_rates(now);
  sample_instances(now);
}

void Supervisor::sample_rates(uint64_t now) {
  double dt = static_cast<double>(now - m_last_sample_ns) / 1e9;
  m_last_sample_ns = now;
  for (auto& rt : m_services) {
    rt->rps = static_cast<double>(rt->requests - rt->sample_requests) / dt;
    rt->sample_requests = rt->requests;
  }
}

void Supervisor::sample_instances(uint64_t now) {
  // Per instance, CPU and memory come from /proc (~10 us a read): a few per
  // tick, samples_per_second in all, so 10,000 instances cost shoald 1% of a
  // CPU rather than all of it. Each is sampled every max(1 s, n /
  // samples_per_second); its rates are over its own interval.
  uint64_t tick_ns = static_cast<uint64_t>(std::max<int64_t>(m_config.tick.count(), 1));
  size_t budget = std::max<size_t>(1, m_config.samples_per_second * tick_ns / 1'000'000'000ull);
  for (size_t n = 0; n < budget; ++n) {
    if (m_sample_cursor >= m_sample_order.size()) {
      // A new pass, no sooner than a second after the last one began.
      if (!m_sample_order.empty() && now - m_last_pass_ns < 1'000'000'000ull) return;
      m_sample_order.clear();
      m_sample_cursor = 0;
      m_last_pass_ns = now;
      for (const auto& [id, i] : m_instances)
        if (i->state != InstanceState::exited) m_sample_order.push_back(id);
      if (m_sample_order.empty()) return;
    }
    Instance* i = find_instance(m_sample_order[m_sample_cursor++]);
    if (!i || i->state == InstanceState::exited) continue;
    InstanceRuntime& r = *i->runtime;
    double idt = r.sample_ns ? static_cast<double>(now - r.sample_ns) / 1e9 : 1.0;
    if (idt <= 0) continue;
    r.rps = static_cast<double>(r.requests - r.sample_requests) / idt;
    r.sample_requests = r.requests;
    if (auto st = read_proc_stats(i->pid)) {
      if (r.sample_ns) r.cpu_percent = std::max(0.0, (st->cpu_seconds - r.sample_cpu_seconds) / idt * 100.0);
      r.sample_cpu_seconds = st->cpu_seconds;
      r.stats = *st;
    }
    r.sample_ns = now;
  }
}

void Supervisor::reconcile(ServiceRuntime& rt) {
  if (m_stopping) return;
  uint32_t live = live_count(rt);
  uint32_t want = rt.desired;
  // Up: new instances at the lowest free indexes, through the start queue.
  for (; live < want; ++live) queue_start(rt, rt.indexes.take_lowest());
  if (live <= want) return;
  uint32_t excess = live - want;
  // Down: first restarts not done yet, then starts still queued, then
  // instances still starting (no request has reached them), then ready ones,
  // least busy and newest index first.
  while (excess > 0 && !rt.pending_restarts.empty()) {
    auto last = std::prev(rt.pending_restarts.end());
    m_loop.cancel(last->second);
    rt.indexes.release(last->first);
    rt.pending_restarts.erase(last);
    --excess;
  }
  uint32_t unqueue = std::min(excess, rt.queued);
  cancel_queued_starts(rt, unqueue);
  excess -= unqueue;
  if (excess == 0) return;
  std::vector<Instance*> candidates;
  for (auto& i : rt.service.instances)
    if (i->state == InstanceState::starting || i->state == InstanceState::ready) candidates.push_back(i.get());
  std::sort(candidates.begin(), candidates.end(), [](Instance* a, Instance* b) {
    bool a_start = a->state == InstanceState::starting, b_start = b->state == InstanceState::starting;
    if (a_start != b_start) return a_start;
    if (a->in_flight != b->in_flight) return a->in_flight < b->in_flight;
    return a->index > b->index;
  });
  for (Instance* i : candidates) {
    if (excess == 0) break;
    drain(*i, "scale-down");
    --excess;
  }
}

void Supervisor::activate(ServiceRuntime& rt) {
  if (m_stopping || live_count(rt) > 0) return;
  uint64_t now = EventLoop::now_ns();
  if (rt.pinned) {
    if (*rt.pinned == 0) return;  // stopped by hand: requests are refused
    rt.desired = *rt.pinned;
  } else if (rt.autoscaler) {
    rt.autoscaler->on_request(time_point(now));
    rt.desired = std::max<uint32_t>(1, rt.autoscaler->desired(time_point(now), 0));
  } else {
    if (rt.spec.initial_instances == 0) return;
    rt.desired = rt.spec.initial_instances;
  }
  rt.series->activations->inc();
  log(rt.service.name() + ": activating (requests waiting, no instance running)");
  reconcile(rt);
}

Result<void> Supervisor::scale(const std::string& service, uint32_t instances) {
  ServiceRuntime* rt = runtime(service);
  if (!rt) return make_http_error("no service named '" + service + "'", 404);
  if (instances > 10000) return make_http_error("instances: at most 10000", 400);  // as the spec's max_instances
  if (m_stopping) return make_http_error("the pool is stopping", 409);
  rt->pinned = instances;
  rt->desired = instances;
  log(service + ": scaled to " + std::to_string(instances) + " by the control API");
  reconcile(*rt);
  if (instances == 0) queue_capacity_notice(*rt);  // held requests get their 503 now
  return {};
}

Result<void> Supervisor::scale_auto(const std::string& service) {
  ServiceRuntime* rt = runtime(service);
  if (!rt) return make_http_error("no service named '" + service + "'", 404);
  if (m_stopping) return make_http_error("the pool is stopping", 409);
  rt->pinned.reset();
  log(service + ": back to " + (rt->autoscaler ? "autoscaling" : "its spec's instance count"));
  if (!rt->autoscaler) rt->desired = rt->spec.initial_instances;
  reconcile(*rt);
  return {};
}

void Supervisor::shutdown(Duration timeout, std::function<void()> done) {
  if (m_stopping) return;
  m_stopping = true;
  m_hub.refuse_guest_connects();
  m_warm->clear_all();  // they never ran a guest: nothing to drain
  m_zygotes->clear_all();
  for (auto& [service, m] : m_makers) m_watch.signal(m.process.pid, SIGKILL);  // reaped by the watch
  m_shutdown_done = std::move(done);
  log("stopping: draining every instance");
  for (auto& rt : m_services) {
    for (auto& [index, timer] : rt->pending_restarts) {
      m_loop.cancel(timer);
      rt->indexes.release(index);
    }
    rt->pending_restarts.clear();
    cancel_queued_starts(*rt, rt->queued);
    std::vector<Instance*> live;
    for (auto& i : rt->service.instances) live.push_back(i.get());
    for (Instance* i : live) drain(*i, "shutdown");
    queue_capacity_notice(*rt);  // held requests are refused now
  }
  m_shutdown_timer = m_loop.after(timeout, [this] {
    m_shutdown_timer = 0;
    for (auto& rt : m_services)
      for (auto& i : rt->service.instances)
        if (i->state != InstanceState::exited) kill_instance(*i, "shutdown (drain timeout)");
  });
  check_shutdown_done();
}

void Supervisor::check_shutdown_done() {
  if (!m_stopping || !m_shutdown_done) return;
  for (auto& rt : m_services)
    for (auto& i : rt->service.instances)
      if (i->state != InstanceState::exited) return;
  if (m_shutdown_timer) m_loop.cancel(m_shutdown_timer);
  m_shutdown_timer = 0;
  auto done = std::move(m_shutdown_done);
  m_shutdown_done = nullptr;
  m_loop.defer(std::move(done));
}

void Supervisor::update_gauges() {
  for (auto& rt : m_services) {
    uint32_t starting = 0, ready = 0, draining = 0, in_flight = 0;
    for (const auto& i : rt->service.instances) {
      starting += i->state == InstanceState::starting;
      ready += i->state == InstanceState::ready;
      draining += i->state == InstanceState::draining;
      in_flight += i->in_flight;
    }
    rt->series->starting->set(starting);
    rt->series->ready->set(ready);
    rt->series->draining->set(draining);
    rt->series->in_flight->set(in_flight);
    rt->series->queue->set(rt->waiting);
    rt->series->desired->set(rt->desired);
    rt->series->warm->set(static_cast<double>(m_warm->count(rt->service.index)));
  }
}

void Supervisor::queue_capacity_notice(ServiceRuntime& rt) {
  if (!m_capacity || rt.capacity_notice_queued) return;
  rt.capacity_notice_queued = true;
  std::weak_ptr<bool> alive = m_alive;
  ServiceRuntime* p = &rt;
  // Deferred: finish() and readiness run inside gateway and channel
  // callbacks; the gateway re-enters pick() from on_capacity.
  m_loop.defer([this, alive, p] {
    if (alive.expired() || !*alive.lock()) return;
    p->capacity_notice_queued = false;
    // The picks made inside are held requests trying again: they are in the
    // queue already and must not be refused for its being full.
    p->renotifying = true;
    if (m_capacity) m_capacity->on_capacity(p->service);
    p->renotifying = false;
  });
}

void Supervisor::log(const std::string& line) const {
  if (m_config.verbose) fprintf(stderr, "shoald: %s\n", line.c_str());
}

void Supervisor::notice(const std::string& line) const { fprintf(stderr, "shoald: %s\n", line.c_str()); }

}  // namespace shoal::pool
