// Supervisor: one instance's life — spawn, output, readiness, drain, exit,
// restart.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "pool/channel/channel.hpp"
#include "supervisor.hpp"
#include "time_points.hpp"

namespace shoal::pool {

namespace {

std::string instance_name(const Instance& i) { return i.service->name() + "/" + std::to_string(i.index); }

std::string ms_text(Duration d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(d.count()) / 1e6);
  return buf;
}

}  // namespace

Result<Instance*> Supervisor::spawn(ServiceRuntime& rt, uint32_t index) {
  const spec::Service& c = rt.spec;
  // A warm monitor, a resume, or a boot (supervisor_start.cpp).
  StartedMonitor started = TRY(start_monitor(rt, index));
  MonitorProcess proc = started.process;

  uint64_t now = EventLoop::now_ns();
  auto owned = std::make_unique<Instance>();
  Instance* i = owned.get();
  i->id = m_next_id++;
  i->service = &rt.service;
  i->index = index;
  i->state = InstanceState::starting;  // counted here: set_state counts changes
  ++rt.by_state[static_cast<size_t>(InstanceState::starting)];
  ++m_starting;
  i->pid = proc.pid;
  i->channel = std::move(started.channel);
  i->spawned_ns = now;
  i->runtime = std::make_unique<InstanceRuntime>(c.passive_health);
  InstanceRuntime& r = *i->runtime;
  r.process = proc;
  r.spawned_wall_ns = wall_ns();
  r.start_kind = started.kind;
  r.makes_snapshot = started.makes_snapshot;
  r.log = std::move(started.log);
  rt.service.instances.push_back(std::move(owned));
  m_instances[i->id] = i;

  uint64_t id = i->id;
  // The instance outlives its monitor's watch: on_exit is the watch's last call.
  m_watch.watch(
      proc.pid, [this, i](LogStream stream, std::string_view bytes) { on_output(*i, stream, bytes); },
      [this, i](int status) { on_exit(*i, status); });
  m_hub.add(*i);
  // Readiness: the listen table is swept as well as checked on channel
  // events, so a guest that never kicks is still seen.
  m_starting_ids.push_back(i->id);
  if (!m_sweep_timer) m_sweep_timer = m_loop.after(m_config.ready_poll, [this] { sweep_ready(); });
  r.start_deadline = m_loop.after(m_config.start_timeout, [this, id] {
    Instance* p = find_instance(id);
    if (!p || p->state != InstanceState::starting) return;
    p->runtime->start_deadline = 0;
    notice(instance_name(*p) + ": not listening on port " + std::to_string(p->service->spec->port) + " after " +
           ms_text(m_config.start_timeout) + "; killing it");
    kill_instance(*p, "");  // an unexpected end: it is restarted
  });
  if (r.makes_snapshot) m_snapshots->making(rt.service.index, i->id);
  log(instance_name(*i) + ": spawned (pid " + std::to_string(i->pid) + ", " + to_string(r.start_kind) +
      (r.makes_snapshot ? ", saving a snapshot" : "") + ")");
  // A warm monitor that was warmed up listens already.
  if (started.kind == StartKind::warm) check_ready(*i);
  return i;
}

void Supervisor::spawn_or_log(ServiceRuntime& rt, uint32_t index) {
  // The caller holds index once: a new instance takes that hold over.
  // Its snapshot is being made: the start happens when it is (or when the
  // maker listens without one), from the reconcile that follows, which
  // takes the index again.
  if (start_waits_for_snapshot(rt)) {
    rt.indexes.release(index);
    return;
  }
  auto r = spawn(rt, index);
  if (r) return;
  notice(rt.where + ": cannot start an instance: " + r.error().message);
  // Retry with the back-off of that index, as after a crash.
  auto& backoff = rt.backoff.try_emplace(index, rt.spec.restart).first->second;
  Duration delay = backoff.on_exit(time_point(EventLoop::now_ns()));
  schedule_restart(rt, index, delay);
  rt.indexes.release(index);
}

void Supervisor::schedule_restart(ServiceRuntime& rt, uint32_t index, Duration delay) {
  if (m_stopping || rt.pending_restarts.count(index)) return;
  ServiceRuntime* p = &rt;
  rt.indexes.hold(index);  // the pending restart's, until it is queued or cancelled
  rt.pending_restarts[index] = m_loop.after(delay, [this, p, index] {
    p->pending_restarts.erase(index);
    if (m_stopping || live_count(*p) >= p->desired) {
      p->indexes.release(index);
      return;
    }
    queue_start(*p, index);
  });
}

void Supervisor::on_output(Instance& i, LogStream stream, std::string_view bytes) {
  if (!i.runtime) return;
  InstanceRuntime& r = *i.runtime;
  uint64_t before = r.log.next_seq();
  r.log.append(stream, bytes, wall_ns());
  if (m_config.verbose) {
    const auto& lines = r.log.lines();
    uint64_t first = r.log.first_seq();
    for (uint64_t s = std::max(before, first); s < r.log.next_seq(); ++s)
      fprintf(stderr, "%s | %s\n", instance_name(i).c_str(), lines[s - first].text.c_str());
  }
}

void Supervisor::check_ready(Instance& i) {
  if (i.state != InstanceState::starting || !i.channel) return;
  if (i.channel->listening(static_cast<uint16_t>(i.service->spec->port))) mark_ready(i);
}

void Supervisor::mark_ready(Instance& i) {
  ServiceRuntime& rt = rt_of(*i.service);
  InstanceRuntime& r = *i.runtime;
  uint64_t now = EventLoop::now_ns();
  set_state(i, InstanceState::ready);
  i.ready_ns = now;
  if (r.start_deadline) m_loop.cancel(r.start_deadline);
  r.start_deadline = 0;
  // A first sample, so that `shoal ps` shows its memory at once; later ones
  // come from the tick's bounded sweep.
  if (auto st = read_proc_stats(i.pid)) {
    r.stats = *st;
    r.sample_cpu_seconds = st->cpu_seconds;
    r.sample_ns = now;
  }
  rt.series->cold_starts->inc();
  rt.series->cold_start_duration[static_cast<size_t>(r.start_kind)]->observe(static_cast<double>(now - i.spawned_ns) /
                                                                            1e9);
  if (r.makes_snapshot) m_snapshots->maker_ready(i.service->index, i.id);
  rt.backoff.try_emplace(i.index, rt.spec.restart).first->second.on_ready(time_point(now));
  log(instance_name(i) + ": ready in " + ms_text(Duration(now - i.spawned_ns)));
  if (m_stopping) {
    drain(i, "shutdown");
    return;
  }
  rt.balancer->add(i.id, rt.spec.weight);
  i.healthy = true;
  if (rt.spec.health) {
    r.active_health.emplace(rt.spec.health->config, time_point(now), true);
    schedule_probe(i, rt.spec.health->config.interval);
  }
  queue_capacity_notice(rt);
  // More may be wanted than live now (a scale-up while this one started).
  if (live_count(rt) > rt.desired) reconcile(rt);
}

void Supervisor::drain(Instance& i, const char* reason) {
  InstanceRuntime& r = *i.runtime;
  if (i.state == InstanceState::exited || i.state == InstanceState::draining) return;
  if (r.stop_reason.empty()) r.stop_reason = reason;
  if (i.state == InstanceState::starting) {
    kill_instance(i, reason);  // no request has reached it
    return;
  }
  ServiceRuntime& rt = rt_of(*i.service);
  set_state(i, InstanceState::draining);
  rt.balancer->set_state(i.id, policy::BackendState::draining);
  if (r.probe_timer) m_loop.cancel(r.probe_timer);
  r.probe_timer = 0;
  uint64_t id = i.id;
  r.drain_deadline = m_loop.after(m_config.drain_timeout, [this, id] {
    Instance* p = find_instance(id);
    if (!p || p->state != InstanceState::draining) return;
    p->runtime->drain_deadline = 0;
    notice(instance_name(*p) + ": " + std::to_string(p->in_flight) + " requests still in flight after the drain timeout; killing it");
    detach_handlers(*p);
    kill_instance(*p, "");
  });
  log(instance_name(i) + ": draining (" + reason + ", " + std::to_string(i.in_flight) + " in flight)");
  maybe_finish_drain(i);
}

void Supervisor::maybe_finish_drain(Instance& i) {
  if (i.state != InstanceState::draining || i.in_flight > 0) return;
  // Nothing in flight: the connections left are idle keep-alives and the
  // health probe; dropping them cuts no request.
  detach_handlers(i);
  kill_instance(i, "");
}

void Supervisor::kill_instance(Instance& i, const char* reason) {
  InstanceRuntime& r = *i.runtime;
  if (reason && *reason && r.stop_reason.empty()) r.stop_reason = reason;
  if (r.kill_sent || i.state == InstanceState::exited) return;
  r.kill_sent = true;
  // A graceful stop: SIGTERM, which shoal-vmm forwards into the guest (the
  // program's handler drains, or the default action ends it), then SIGKILL
  // if it still runs after the service's stop_timeout.
  send_signal(i, SIGTERM);
  uint64_t id = i.id;
  r.stop_deadline = m_loop.after(rt_of(*i.service).spec.stop_timeout, [this, id] {
    Instance* p = find_instance(id);
    if (!p || p->state == InstanceState::exited) return;
    p->runtime->stop_deadline = 0;
    notice(instance_name(*p) + ": still running after SIGTERM and the stop_timeout; SIGKILL");
    send_signal(*p, SIGKILL);
  });
}

void Supervisor::send_signal(Instance& i, int sig) {
  // Only while the watch has not reaped it: until then the number is still
  // this monitor's (a reaped one's exit is being handled already).
  m_watch.signal(i.pid, sig);
}

void Supervisor::on_slots_released(Instance& i) {
  ServiceRuntime& rt = rt_of(*i.service);
  if (rt.waiting > 0) queue_capacity_notice(rt);
}

void Supervisor::detach_handlers(Instance& i) {
  m_hub.detach_handlers(i);
  if (i.runtime && i.runtime->probe) {
    HealthProbe* probe = i.runtime->probe.release();
    m_loop.defer([probe] { delete probe; });
  }
}

void Supervisor::release_instance_resources(Instance& i) {
  InstanceRuntime& r = *i.runtime;
  for (EventLoop::TimerId* t :
       {&r.probe_timer, &r.cooldown_timer, &r.start_deadline, &r.drain_deadline, &r.stop_deadline}) {
    if (*t) m_loop.cancel(*t);
    *t = 0;
  }
  if (i.channel) {
    m_hub.remove(i);
    i.channel.reset();
  }
}

void Supervisor::on_exit(Instance& i, int status) {
  // Reaped by the watch, which read the monitor's last output first.
  pid_t got = i.pid;
  ServiceRuntime& rt = rt_of(*i.service);
  InstanceRuntime& r = *i.runtime;
  uint64_t now = EventLoop::now_ns();
  r.log.flush(wall_ns());
  InstanceState was = i.state;
  set_state(i, InstanceState::exited);
  rt.balancer->remove(i.id);
  i.healthy = false;
  detach_handlers(i);
  release_instance_resources(i);

  ExitRecord e;
  e.id = i.id;
  e.index = i.index;
  e.pid = i.pid;
  e.spawned_wall_ns = r.spawned_wall_ns;
  e.exited_wall_ns = wall_ns();
  if (got > 0 && WIFEXITED(status)) e.exit_code = WEXITSTATUS(status);
  if (got > 0 && WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  e.expected = !r.stop_reason.empty();
  std::string how = got > 0 ? describe_exit(status) : "ended (status unknown)";
  e.status = e.expected ? "stopped: " + r.stop_reason + " (" + how + ")" : how;
  e.report = r.log.tail(LogStream::err, m_config.report_lines);
  snapshot_exit(i, was, e.expected, how, e.report.empty() ? "" : e.report.back());
  e.log = std::move(r.log);
  r.log = LogRing();
  rt.exits.push_back(std::move(e));
  while (rt.exits.size() > m_config.exits_kept) rt.exits.pop_front();

  if (!rt.exits.back().expected) {
    ++rt.restarts;
    ++rt.restarts_by_index[i.index];
    rt.series->restarts->inc();
    auto& backoff = rt.backoff.try_emplace(i.index, rt.spec.restart).first->second;
    Duration delay = backoff.on_exit(time_point(now));
    std::string where = was == InstanceState::starting ? " while starting" : "";
    notice(instance_name(i) + ": " + how + where + " (pid " + std::to_string(i.pid) + ")");
    for (const auto& line : rt.exits.back().report) notice(instance_name(i) + " | " + line);
    if (!m_stopping && live_count(rt) < rt.desired) {
      notice(instance_name(i) + ": restarting in " + ms_text(delay));
      schedule_restart(rt, i.index, delay);
    }
  } else {
    log(instance_name(i) + ": " + rt.exits.back().status);
  }
  // After schedule_restart, which holds the index again for a restart.
  rt.indexes.release(i.index);
  destroy_when_idle(i);
  check_shutdown_done();
}

void Supervisor::destroy_when_idle(Instance& i) {
  if (i.state != InstanceState::exited || i.in_flight > 0) return;
  uint64_t id = i.id;
  ServiceRuntime* rt = &rt_of(*i.service);
  std::weak_ptr<bool> alive = m_alive;
  // Deferred: the caller may be a callback of this very instance.
  m_loop.defer([this, alive, id, rt] {
    if (alive.expired() || !*alive.lock()) return;
    Instance* p = find_instance(id);
    if (!p || p->state != InstanceState::exited || p->in_flight > 0) return;
    m_instances.erase(id);
    auto& v = rt->service.instances;
    v.erase(std::remove_if(v.begin(), v.end(), [id](const std::unique_ptr<Instance>& x) { return x->id == id; }),
            v.end());
  });
}

}  // namespace shoal::pool
