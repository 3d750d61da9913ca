// What a pool of N instances needs from the host, checked when shoald starts
// (so at `shoal up`), with a message naming the setting to raise. Measured
// per idle instance on the standard machine (docs/architecture.md, "Host
// limits"): two tasks (the monitor's one thread and the kvm-nx-lpage-recovery
// task KVM starts per VM, in the monitor's thread group), five descriptors
// and one mapping (its channel) in shoald, and, for a monitor started as
// root, one mount, one IPC and one UTS namespace (its jail). Memory locking
// is not used: nothing needs RLIMIT_MEMLOCK.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace shoal::pool {

inline constexpr uint64_t kTasksPerInstance = 2;
// The channel's to_guest eventfd; exits, console output and the guest's
// kicks cost none per instance (MonitorWatch, EventLoop::add_detached).
inline constexpr uint64_t kFdsPerInstance = 1;
inline constexpr uint64_t kMapsPerInstance = 1;
// Host memory per idle `hello` instance, for the warning only (measured:
// docs/benchmarks.md, bench/density).
inline constexpr uint64_t kHostKiBPerIdleInstance = 800;

struct HostLimits {
  uint64_t pid_max = 0;           // kernel.pid_max
  uint64_t threads_max = 0;       // kernel.threads-max
  uint64_t tasks_now = 0;         // tasks running on the host now (/proc/loadavg)
  uint64_t max_map_count = 0;     // vm.max_map_count (per process: shoald's)
  uint64_t nofile = 0;            // RLIMIT_NOFILE shoald may reach: its hard limit (after raising it if it could)
  uint64_t mnt_namespaces = 0;    // user.max_mnt_namespaces (ipc and uts: the least of the three)
  uint64_t mem_available_kib = 0; // MemAvailable
  bool root = false;              // monitors are jailed in namespaces
};

struct LimitProblem {
  bool fatal;           // the pool cannot start that many instances
  std::string message;  // names the setting and the value needed
};

// Problems running `instances` (the spec's total initial count) on a host
// with `have`; empty when it fits.
std::vector<LimitProblem> check_host_limits(const HostLimits& have, uint64_t instances);

// This host's values (0 for whatever cannot be read: then not checked).
HostLimits read_host_limits();

}  // namespace shoal::pool
