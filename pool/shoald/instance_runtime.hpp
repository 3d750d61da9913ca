// What the supervisor keeps per instance (Instance::runtime) and per exited
// instance (ExitRecord, for `shoal logs`).
#pragma once

#include <stdint.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <shoal/pool/policy/health.hpp>

#include "event_loop.hpp"
#include "health_probe.hpp"
#include "log_ring.hpp"
#include "model.hpp"
#include "monitor_process.hpp"
#include "proc_stats.hpp"
#include "start_kind.hpp"

namespace shoal::pool {

struct InstanceRuntime {
  explicit InstanceRuntime(const policy::PassiveHealthConfig& passive) : passive_health(passive) {}

  MonitorProcess process;
  LogRing log;
  uint64_t spawned_wall_ns = 0;  // CLOCK_REALTIME, for people
  StartKind start_kind = StartKind::boot;
  bool makes_snapshot = false;    // booted with --snapshot-out (the service's snapshot maker)

  // Health: the instance is in the balancer iff ready, active_ok and passive_ok.
  std::optional<policy::ActiveHealth> active_health;
  policy::PassiveHealth passive_health;
  bool active_ok = true;
  bool passive_ok = true;
  std::unique_ptr<HealthProbe> probe;
  EventLoop::TimerId probe_timer = 0;     // next probe, or the probe's timeout
  EventLoop::TimerId cooldown_timer = 0;  // end of a passive cool-down

  EventLoop::TimerId start_deadline = 0;  // not ready by then: killed
  EventLoop::TimerId drain_deadline = 0;  // still busy by then: killed anyway
  bool kill_sent = false;                 // SIGTERM sent (a graceful stop)
  EventLoop::TimerId stop_deadline = 0;   // still running stop_timeout after it: SIGKILL
  std::string stop_reason;                // set when shoald ends it ("scale-down", ...)

  // Counters and the last sample (status, top): about once a second, every
  // N / 640 seconds in a pool of N > 640 instances (Supervisor::sample_instances).
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t sample_requests = 0;
  uint64_t sample_ns = 0;
  double sample_cpu_seconds = 0;
  double rps = 0;
  double cpu_percent = 0;
  ProcStats stats;
};

// An instance that has exited, kept for `shoal logs`.
struct ExitRecord {
  uint64_t id = 0;
  uint32_t index = 0;
  pid_t pid = -1;
  uint64_t spawned_wall_ns = 0;
  uint64_t exited_wall_ns = 0;
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  bool expected = false;  // shoald stopped it (scale-down, shutdown)
  std::string status;  // "exit status 139 (guest crash: SIGSEGV)", "killed by SIGKILL", ...
  std::vector<std::string> report;  // the last lines of its stderr
  LogRing log;         // everything it printed that was still kept
};

// "exit status 0", "exit status 139 (guest crash: SIGSEGV)", "killed by
// SIGKILL": how a monitor ended, from a wait status, in the terms of
// shoal-vmm's exit codes (vmm/src/main.cpp).
std::string describe_exit(int wait_status);

}  // namespace shoal::pool
