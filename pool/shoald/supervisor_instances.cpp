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

uint64_t wall_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string instance_name(const Instance& i) { return i.service->name() + "/" + std::to_string(i.index); }

std::string ms_text(Duration d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(d.count()) / 1e6);
  return buf;
}

bool has_env(const spec::Service& c, std::string_view key) {
  for (const auto& [k, v] : c.env)
    if (k == key) return true;
  return false;
}

}  // namespace

Result<Instance*> Supervisor::spawn(ServiceRuntime& rt, uint32_t index) {
  const spec::Service& c = rt.spec;
  ChannelConfig cc;
  cc.slot_count = c.channel_slots;
  cc.ring_size = m_config.ring_size;
  for (const auto& other : m_services) cc.services.push_back({other->service.name(), other->service.ipv4});
  Channel channel = TRY(Channel::create(cc));

  MonitorLaunch launch;
  launch.program = m_config.vmm_path;
  auto& a = launch.argv;
  a = {m_config.vmm_path, "--channel", channel.vmm_argument()};
  if (c.memory) a.insert(a.end(), {"--memory", std::to_string(c.memory)});
  // The port to listen on and who the instance is, unless the spec says
  // otherwise; then the spec's environment.
  if (!has_env(c, "PORT")) a.insert(a.end(), {"--env", "PORT=" + std::to_string(c.port)});
  a.insert(a.end(), {"--env", "SHOAL_SERVICE=" + c.name, "--env", "SHOAL_INSTANCE=" + std::to_string(index)});
  for (const auto& [k, v] : c.env) a.insert(a.end(), {"--env", k + "=" + v});
  a.push_back(c.image_path);
  if (!c.args.empty()) {
    a.push_back("--");
    a.insert(a.end(), c.args.begin(), c.args.end());
  }
  ChannelFdNumbers fds = channel.fds();
  launch.inherit_fds = {fds.memfd, fds.to_host, fds.to_guest};
  MonitorProcess proc = TRY(spawn_monitor(launch));
  channel.drop_memfd();  // the monitor has its own copy

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
  i->channel = std::make_unique<Channel>(std::move(channel));
  i->spawned_ns = now;
  i->runtime = std::make_unique<InstanceRuntime>(c.passive_health);
  InstanceRuntime& r = *i->runtime;
  r.process = proc;
  r.spawned_wall_ns = wall_ns();
  rt.service.instances.push_back(std::move(owned));
  m_instances[i->id] = i;

  uint64_t id = i->id;
  (void)m_loop.add(proc.pidfd, EPOLLIN, [this, i](uint32_t) { on_exit(*i); });
  (void)m_loop.add(proc.out_fd, EPOLLIN, [this, i](uint32_t) { on_output(*i, LogStream::out); });
  (void)m_loop.add(proc.err_fd, EPOLLIN, [this, i](uint32_t) { on_output(*i, LogStream::err); });
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
  log(instance_name(*i) + ": spawned (pid " + std::to_string(i->pid) + ")");
  return i;
}

void Supervisor::spawn_or_log(ServiceRuntime& rt, uint32_t index) {
  // The caller holds index once: a new instance takes that hold over.
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

void Supervisor::on_output(Instance& i, LogStream stream) {
  InstanceRuntime& r = *i.runtime;
  int& fd = stream == LogStream::out ? r.process.out_fd : r.process.err_fd;
  if (fd < 0) return;
  char buf[8192];
  // Bounded per event, so one chatty guest cannot starve the loop.
  for (int round = 0; round < 8; ++round) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      uint64_t before = r.log.next_seq();
      r.log.append(stream, std::string_view(buf, static_cast<size_t>(n)), wall_ns());
      if (m_config.verbose) {
        const auto& lines = r.log.lines();
        uint64_t first = r.log.first_seq();
        for (uint64_t s = std::max(before, first); s < r.log.next_seq(); ++s)
          fprintf(stderr, "%s | %s\n", instance_name(i).c_str(), lines[s - first].text.c_str());
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // End of file (the monitor exited) or an error: stop watching.
    m_loop.remove(fd);
    close(fd);
    fd = -1;
    return;
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
  if (r.ready_timer) m_loop.cancel(r.ready_timer);
  if (r.start_deadline) m_loop.cancel(r.start_deadline);
  r.ready_timer = r.start_deadline = 0;
  // A first sample, so that `shoal ps` shows its memory at once; later ones
  // come from the tick's bounded sweep.
  if (auto st = read_proc_stats(i.pid)) {
    r.stats = *st;
    r.sample_cpu_seconds = st->cpu_seconds;
    r.sample_ns = now;
  }
  rt.series->cold_starts->inc();
  rt.series->cold_start_duration->observe(static_cast<double>(now - i.spawned_ns) / 1e9);
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
  // Through the pidfd: a pid number could have been reused, a pidfd cannot.
  if (syscall(SYS_pidfd_send_signal, i.runtime->process.pidfd, sig, nullptr, 0) != 0) kill(i.pid, sig);
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
       {&r.probe_timer, &r.cooldown_timer, &r.ready_timer, &r.start_deadline, &r.drain_deadline, &r.stop_deadline}) {
    if (*t) m_loop.cancel(*t);
    *t = 0;
  }
  for (int* fd : {&r.process.out_fd, &r.process.err_fd, &r.process.pidfd}) {
    if (*fd < 0) continue;
    m_loop.remove(*fd);
    close(*fd);
    *fd = -1;
  }
  if (i.channel) {
    m_hub.remove(i);
    i.channel.reset();
  }
}

void Supervisor::on_exit(Instance& i) {
  int status = 0;
  pid_t got = waitpid(i.pid, &status, WNOHANG);
  if (got == 0) return;  // not yet (a spurious wake-up)
  ServiceRuntime& rt = rt_of(*i.service);
  InstanceRuntime& r = *i.runtime;
  uint64_t now = EventLoop::now_ns();
  // Whatever the pipes still hold belongs in the log before it is closed.
  on_output(i, LogStream::out);
  on_output(i, LogStream::err);
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
