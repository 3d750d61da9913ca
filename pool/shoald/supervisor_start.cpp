// Supervisor: how an instance's monitor starts (issue 13). With start =
// "snapshot" (the default) the first instance of a service boots with
// --snapshot-out and goes on serving; every later start takes a warm monitor
// (a byte to its pipe) or resumes the snapshot with a new monitor, forked by
// the service's template monitor (zygote_pool.hpp) or, without one, spawned;
// a service whose snapshot cannot be made or resumed boots (SnapshotCache
// says which). The warm set is refilled off the request's path, after the
// start, from the template too.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include <sys/epoll.h>

#include <shoal/vmm/zygote_wire.hpp>

#include "pool/channel/channel.hpp"
#include "supervisor.hpp"

namespace shoal::pool {

namespace {

// A template that dies this many times in a row before it started an
// instance (it cannot resume the snapshot, say) is not started again.
constexpr uint32_t kZygoteFailuresBeforeGivingUp = 3;

bool has_env(const spec::Service& c, std::string_view key) {
  for (const auto& [k, v] : c.env)
    if (k == key) return true;
  return false;
}

}  // namespace

ChannelConfig Supervisor::channel_config(const ServiceRuntime& rt) const {
  ChannelConfig cc;
  cc.slot_count = rt.spec.channel_slots;
  cc.ring_size = m_config.ring_size;
  for (const auto& other : m_services) cc.services.push_back({other->service.name(), other->service.ipv4});
  return cc;
}

MonitorLaunch Supervisor::boot_launch(const ServiceRuntime& rt, uint32_t index, const Channel& channel) const {
  const spec::Service& c = rt.spec;
  MonitorLaunch launch;
  launch.program = m_config.vmm_path;
  auto& a = launch.argv;
  a = {m_config.vmm_path, "--channel", channel.vmm_argument()};
  if (c.memory) a.insert(a.end(), {"--memory", std::to_string(c.memory)});
  if (c.ksm) a.push_back("--ksm");
  // The port to listen on and who the instance is, unless the spec says
  // otherwise; then the spec's environment.
  if (!has_env(c, "PORT")) a.insert(a.end(), {"--env", "PORT=" + std::to_string(c.port)});
  a.insert(a.end(), {"--env", "SHOAL_SERVICE=" + c.name, "--env", "SHOAL_INSTANCE=" + std::to_string(index)});
  for (const auto& [k, v] : c.env) a.insert(a.end(), {"--env", k + "=" + v});
  ChannelFdNumbers fds = channel.fds();
  launch.inherit_fds = {fds.memfd, fds.to_host, fds.to_guest};
  launch.stdout_fd = m_watch.stdout_fd();
  launch.stderr_fd = m_watch.stderr_fd();
  return launch;
}

MonitorLaunch Supervisor::resume_launch(const ServiceRuntime& rt, const Channel& channel) const {
  // Memory, environment and arguments are fixed in the snapshot: only this
  // instance's channel (and whether its memory may be merged) is given.
  MonitorLaunch launch;
  launch.program = m_config.vmm_path;
  launch.argv = {m_config.vmm_path, "--channel", channel.vmm_argument()};
  if (rt.spec.ksm) launch.argv.push_back("--ksm");
  ChannelFdNumbers fds = channel.fds();
  launch.inherit_fds = {fds.memfd, fds.to_host, fds.to_guest};
  launch.stdout_fd = m_watch.stdout_fd();
  launch.stderr_fd = m_watch.stderr_fd();
  return launch;
}

Result<void> Supervisor::setup_snapshots() {
  for (auto& rt : m_services) {
    TRY(m_snapshots->add(rt->service.index, rt->spec, rt->where, channel_config(*rt)));
    if (m_snapshots->state(rt->service.index) == SnapshotCache::State::none && rt->desired == 0)
      make_snapshot_ahead(*rt);
    if (m_snapshots->state(rt->service.index) != SnapshotCache::State::ready) continue;
    // A snapshot from an earlier `shoal up` (or the spec's): warm monitors
    // from the start, after the initial instances.
    log(rt->where + ": instances start from " + m_snapshots->path(rt->service.index));
    spawn_zygote(*rt);
    queue_warm_refill(*rt);
  }
  return {};
}

bool Supervisor::start_waits_for_snapshot(const ServiceRuntime& rt) const {
  return m_snapshots && m_snapshots->plan(rt.service.index) == SnapshotCache::Plan::wait;
}

Result<Supervisor::StartedMonitor> Supervisor::start_monitor(ServiceRuntime& rt, uint32_t index) {
  uint32_t s = rt.service.index;
  StartedMonitor out;
  // Whatever this start takes, the warm set is topped up after it.
  queue_warm_refill(rt);
  while (auto warm = m_warm->take(s)) {
    if (auto r = warm->started ? Result<void>{} : WarmPool::start(*warm); !r) {
      // It died while waiting and its exit was not seen yet: the next one.
      notice(rt.where + ": a warm monitor could not be started (" + r.error().message + ")");
      WarmMonitor dead = std::move(*warm);
      m_watch.signal(dead.process.pid, SIGKILL);
      m_watch.forget(dead.process.pid);  // reaped silently when it is gone
      continue;
    }
    out.kind = StartKind::warm;
    out.process = warm->process;
    out.channel = std::move(warm->channel);
    out.log = std::move(warm->log);
    return out;
  }

  Channel channel = TRY(Channel::create(channel_config(rt)));
  SnapshotCache::Plan plan = m_snapshots->plan(s);
  MonitorLaunch launch;
  if (plan == SnapshotCache::Plan::resume && m_zygotes->has(s)) {
    auto forked = start_from_zygote(rt, channel);
    if (forked) {
      out.kind = StartKind::snapshot;
      out.process = forked.value();
      channel.drop_memfd();
      out.channel = std::make_unique<Channel>(std::move(channel));
      return out;
    }
    notice(rt.where + ": the template monitor could not start an instance (" + forked.error().message +
           "); spawning shoal-vmm");
    channel = TRY(Channel::create(channel_config(rt)));  // the first may have reached a child
  }
  if (plan == SnapshotCache::Plan::resume) {
    launch = resume_launch(rt, channel);
    launch.argv.push_back(m_snapshots->path(s));
    out.kind = StartKind::snapshot;
  } else {
    launch = boot_launch(rt, index, channel);
    if (plan == SnapshotCache::Plan::make) {
      // It saves at its ready point and goes on serving (kReadySaved).
      launch.argv.insert(launch.argv.end(), {"--snapshot-out", m_snapshots->path(s), "--snapshot-then", "run",
                                             "--ready",
                                             rt.spec.ready.empty() ? "port:" + std::to_string(rt.spec.port)
                                                                   : rt.spec.ready});
      out.makes_snapshot = true;
    }
    launch.argv.push_back(rt.spec.image_path);
    if (!rt.spec.args.empty()) {
      launch.argv.push_back("--");
      launch.argv.insert(launch.argv.end(), rt.spec.args.begin(), rt.spec.args.end());
    }
  }
  out.process = TRY(spawn_monitor(launch));
  channel.drop_memfd();  // the monitor has its own copy
  out.channel = std::make_unique<Channel>(std::move(channel));
  return out;
}

void Supervisor::make_snapshot_ahead(ServiceRuntime& rt) {
  uint32_t s = rt.service.index;
  auto channel = Channel::create(channel_config(rt));
  if (!channel) {
    notice(rt.where + ": cannot make the snapshot ahead: " + channel.error().message);
    return;
  }
  // The instance that saves has the channel every instance gets (its region
  // is part of the snapshot) and index 0's environment, as a maker would.
  MonitorLaunch launch = boot_launch(rt, 0, channel.value());
  launch.argv.insert(launch.argv.end(), {"--snapshot-out", m_snapshots->path(s), "--snapshot-then", "exit", "--ready",
                                         rt.spec.ready.empty() ? "port:" + std::to_string(rt.spec.port)
                                                               : rt.spec.ready});
  launch.argv.push_back(rt.spec.image_path);
  if (!rt.spec.args.empty()) {
    launch.argv.push_back("--");
    launch.argv.insert(launch.argv.end(), rt.spec.args.begin(), rt.spec.args.end());
  }
  auto proc = spawn_monitor(launch);
  if (!proc) {
    notice(rt.where + ": cannot make the snapshot ahead: " + proc.error().message);
    return;
  }
  channel.value().drop_memfd();
  SnapshotMaker& m = m_makers[s];
  m.process = proc.value();
  m.channel = std::make_unique<Channel>(std::move(channel.value()));
  // Starts that come meanwhile wait for it (Plan::wait), as for a maker
  // instance that does not listen yet; id 0 is no instance's.
  m_snapshots->making(s, 0);
  m_watch.watch(
      m.process.pid,
      [this, s](LogStream stream, std::string_view bytes) {
        if (auto it = m_makers.find(s); it != m_makers.end()) it->second.log.append(stream, bytes, 0);
      },
      [this, s](int status) { end_snapshot_maker(s, status); });
  m.deadline = m_loop.after(m_config.start_timeout, [this, s] { end_snapshot_maker(s, -1); });
  log(rt.where + ": making its snapshot ahead of the first request (pid " + std::to_string(m.process.pid) + ")");
}

void Supervisor::end_snapshot_maker(uint32_t service, int status) {
  auto it = m_makers.find(service);
  if (it == m_makers.end()) return;
  SnapshotMaker& m = it->second;
  bool timed_out = status == -1;
  if (timed_out) {
    m.deadline = 0;
    m_watch.kill_and_reap(m.process.pid);
  }
  if (m.deadline) m_loop.cancel(m.deadline);
  m.log.flush(0);
  std::string how = timed_out ? "no ready point within the start timeout" : describe_exit(status);
  auto tail = m.log.tail(LogStream::err, 1);
  if (!tail.empty()) how += ": " + tail.back();
  m_makers.erase(it);
  // Exit status 0 with the file saved: ready; anything else: a failed try
  // (unless shoald stopped it).
  m_snapshots->instance_exited(service, 0, m_stopping, how);
}

void Supervisor::queue_warm_refill(ServiceRuntime& rt) {
  if (rt.spec.warm == 0) return;
  ServiceRuntime* p = &rt;
  std::weak_ptr<bool> alive = m_alive;
  // Deferred: the start that took a warm monitor is on a request's path.
  m_loop.defer([this, alive, p] {
    if (alive.expired() || !*alive.lock()) return;
    refill_warm(*p);
  });
}

void Supervisor::refill_warm(ServiceRuntime& rt) {
  uint32_t s = rt.service.index;
  while (!m_stopping && m_snapshots->state(s) == SnapshotCache::State::ready && m_warm->count(s) < rt.spec.warm) {
    auto channel = Channel::create(channel_config(rt));
    if (!channel) {
      notice(rt.where + ": cannot start a warm monitor: " + channel.error().message);
      return;
    }
    if (m_zygotes->has(s)) {
      // Forked from the template: the same warm monitor, without the exec.
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) == 0) {
        auto forked = start_from_zygote(rt, channel.value(), fds[0]);
        close(fds[0]);
        if (forked) {
          WarmMonitor m;
          m.process = forked.value();
          channel.value().drop_memfd();
          m.channel = std::make_unique<Channel>(std::move(channel.value()));
          m.start_fd = fds[1];
          m.spawned_ns = EventLoop::now_ns();
          m_warm->add(s, std::move(m), rt.spec.warm_up, rt.spec.port);
          continue;
        }
        close(fds[1]);
        notice(rt.where + ": the template monitor could not start a warm monitor (" + forked.error().message +
               "); spawning shoal-vmm");
        continue;  // with a new channel: this one may have reached a child
      }
    }
    MonitorLaunch launch = resume_launch(rt, channel.value());
    auto warm = spawn_warm_monitor(std::move(launch), m_snapshots->path(s), std::move(channel.value()));
    if (!warm) {
      notice(rt.where + ": cannot start a warm monitor: " + warm.error().message);
      return;
    }
    m_warm->add(s, std::move(warm.value()), rt.spec.warm_up, rt.spec.port);
  }
}

void Supervisor::on_snapshot_change(uint32_t service) {
  if (service >= m_services.size() || m_stopping) return;
  ServiceRuntime& rt = *m_services[service];
  SnapshotCache::State state = m_snapshots->state(service);
  if (state != SnapshotCache::State::ready) {  // they wait on, or hold, a file no longer used
    m_warm->clear(service);
    m_zygotes->clear(service);
  }
  // Starts that waited for the snapshot go now (resume, or boot), then the
  // warm set fills for the starts to come.
  reconcile(rt);
  if (state == SnapshotCache::State::ready) {
    log(rt.where + ": snapshot ready: " + m_snapshots->path(service));
    spawn_zygote(rt);
    refill_warm(rt);
  }
}

void Supervisor::on_warm_death(uint32_t service, const std::string& how) {
  if (service >= m_services.size() || m_stopping) return;
  ServiceRuntime& rt = *m_services[service];
  // A warm monitor has not run the guest yet: if it exits by itself, the
  // monitor refused the snapshot (format, build, CPU, devices). Killed by a
  // signal (an operator, the OOM killer), it is only replaced.
  if (how.rfind("exit status", 0) == 0) {
    m_snapshots->resume_failed(service, "a warm monitor: " + how);
    return;
  }
  notice(rt.where + ": a warm monitor ended while waiting (" + how + "); replacing it");
  ServiceRuntime* p = &rt;
  std::weak_ptr<bool> alive = m_alive;
  m_loop.after(std::chrono::milliseconds(100), [this, alive, p] {
    if (alive.expired() || !*alive.lock()) return;
    refill_warm(*p);
  });
}

void Supervisor::spawn_zygote(ServiceRuntime& rt) {
  uint32_t s = rt.service.index;
  if (!m_config.zygotes || m_stopping || m_snapshots->state(s) != SnapshotCache::State::ready) return;
  if (m_zygote_failures[s] >= kZygoteFailuresBeforeGivingUp) return;
  if (auto r = m_zygotes->spawn(s, m_config.vmm_path, m_snapshots->path(s)); !r) {
    notice(rt.where + ": cannot start a template monitor: " + r.error().message);
    return;
  }
  log(rt.where + ": template monitor pid " + std::to_string(m_zygotes->pid(s)) + " for " + m_snapshots->path(s));
}

Result<MonitorProcess> Supervisor::start_from_zygote(const ServiceRuntime& rt, const Channel& channel, int start_fd) {
  uint32_t flags = rt.spec.ksm ? static_cast<uint32_t>(zygote::kFlagKsm) : 0u;
  auto m = m_zygotes->start(rt.service.index, channel, flags, start_fd);
  if (m) m_zygote_failures[rt.service.index] = 0;
  return m;
}

void Supervisor::on_zygote_death(uint32_t service, const std::string& how) {
  if (service >= m_services.size() || m_stopping) return;
  ServiceRuntime& rt = *m_services[service];
  // A usage error: this monitor takes no --zygote-fd (another build, a
  // test's fake): templates are not tried again, starts spawn.
  if (how.rfind("exit status 2 (", 0) == 0) {
    m_zygote_failures[service] = kZygoteFailuresBeforeGivingUp;
    notice(rt.where + ": the monitor cannot be a template (" + how + "): instances start by spawning it");
    return;
  }
  // Otherwise a template ends by itself only when it could not prepare the
  // snapshot (format, build, CPU): as for a warm monitor, the snapshot is at fault.
  if (how.rfind("exit status", 0) == 0) {
    m_snapshots->resume_failed(service, how);
    return;
  }
  uint32_t failures = ++m_zygote_failures[service];
  if (failures >= kZygoteFailuresBeforeGivingUp) {
    notice(rt.where + ": the template monitor ended (" + how + "), " + std::to_string(failures) +
           " times without starting an instance: instances start by spawning shoal-vmm from now on");
    return;
  }
  notice(rt.where + ": the template monitor ended (" + how + "); instances spawn shoal-vmm until a new one is up");
  ServiceRuntime* p = &rt;
  std::weak_ptr<bool> alive = m_alive;
  m_loop.after(std::chrono::milliseconds(100 * failures), [this, alive, p] {
    if (alive.expired() || !*alive.lock()) return;
    if (!m_zygotes->has(p->service.index)) spawn_zygote(*p);
  });
}

void Supervisor::snapshot_exit(Instance& i, InstanceState was, bool expected, const std::string& how,
                               const std::string& last_err) {
  InstanceRuntime& r = *i.runtime;
  uint32_t s = i.service->index;
  if (r.makes_snapshot) m_snapshots->instance_exited(s, i.id, expected, how);
  if (r.start_kind != StartKind::boot && was == InstanceState::starting && !expected) {
    // A resumed instance is at its ready point from its first instruction:
    // ending before it listens means the resume itself failed.
    m_snapshots->resume_failed(s, last_err.empty() ? how : how + ": " + last_err);
  }
}

}  // namespace shoal::pool
