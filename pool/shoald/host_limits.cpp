#include "host_limits.hpp"

#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace shoal::pool {

namespace {

uint64_t read_number(const char* path) {
  FILE* f = fopen(path, "re");
  if (!f) return 0;
  unsigned long long v = 0;
  if (fscanf(f, "%llu", &v) != 1) v = 0;
  fclose(f);
  return v;
}

std::string n(uint64_t v) { return std::to_string(v); }

}  // namespace

std::vector<LimitProblem> check_host_limits(const HostLimits& have, uint64_t instances) {
  std::vector<LimitProblem> out;
  if (instances == 0) return out;
  std::string many = n(instances) + " instances";
  // Tasks: a new one fails with EAGAIN past either limit; what runs already counts.
  uint64_t tasks = instances * kTasksPerInstance + have.tasks_now;
  if (have.pid_max && tasks >= have.pid_max)
    out.push_back({true, many + " need " + n(instances * kTasksPerInstance) + " tasks (" + n(kTasksPerInstance) +
                             " each: the monitor and KVM's kvm-nx-lpage-recovery task) besides the " + n(have.tasks_now) +
                             " running, and kernel.pid_max is " + n(have.pid_max) +
                             ": raise it (sysctl -w kernel.pid_max=" + n(std::max<uint64_t>(tasks * 2, 4194304)) + ")"});
  if (have.threads_max && tasks >= have.threads_max)
    out.push_back({true, many + " need " + n(tasks) + " threads with those running, and kernel.threads-max is " +
                             n(have.threads_max) + ": raise it (sysctl -w kernel.threads-max=" + n(tasks * 2) + ")"});
  // shoald maps each instance's channel.
  uint64_t maps = instances * kMapsPerInstance + 1024;
  if (have.max_map_count && maps > have.max_map_count)
    out.push_back({true, many + " need " + n(maps) + " mappings in shoald (one channel each), and vm.max_map_count is " +
                             n(have.max_map_count) + ": raise it (sysctl -w vm.max_map_count=" + n(maps * 2) + ")"});
  // Beside the instances: shoald's own (epoll, signalfd, listeners, a few
  // clients). Client connections are the gateway's business: it sizes its
  // max_connections from what the limit leaves.
  uint64_t fds = instances * kFdsPerInstance + 64;
  if (have.nofile && fds > have.nofile)
    out.push_back({instances * kFdsPerInstance > have.nofile, many + " need " + n(fds) + " descriptors in shoald (" + n(kFdsPerInstance) +
                             " each: the channel's to_guest eventfd), and it may open " +
                             n(have.nofile) + " (its hard RLIMIT_NOFILE, which shoald raises itself only with "
                             "CAP_SYS_RESOURCE, up to fs.nr_open): raise it where shoald is started (ulimit -Hn " +
                             n(fds * 2) + ", limits.conf, the container's nofile limit)"});
  if (have.root && have.mnt_namespaces && instances > have.mnt_namespaces)
    out.push_back({true, many + " need one mount, IPC and UTS namespace each (the monitor's jail), and the user may "
                             "have " + n(have.mnt_namespaces) +
                             ": raise user.max_mnt_namespaces, user.max_ipc_namespaces and user.max_uts_namespaces"});
  uint64_t kib = instances * kHostKiBPerIdleInstance;
  if (have.mem_available_kib && kib > have.mem_available_kib)
    out.push_back({false, many + " take about " + n(kib / 1024) + " MiB of host memory idle (" +
                              n(kHostKiBPerIdleInstance) + " KiB each, more once they work) and " +
                              n(have.mem_available_kib / 1024) + " MiB are available"});
  return out;
}

HostLimits read_host_limits() {
  HostLimits h;
  h.pid_max = read_number("/proc/sys/kernel/pid_max");
  h.threads_max = read_number("/proc/sys/kernel/threads-max");
  h.max_map_count = read_number("/proc/sys/vm/max_map_count");
  h.root = geteuid() == 0;
  // "0.52 0.58 0.59 3/1234 5678": the fourth field's total is every task.
  if (FILE* f = fopen("/proc/loadavg", "re")) {
    double a, b, c;
    unsigned long long running = 0, total = 0;
    if (fscanf(f, "%lf %lf %lf %llu/%llu", &a, &b, &c, &running, &total) == 5) h.tasks_now = total;
    fclose(f);
  }
  // What shoald may open: its hard limit, which it has already tried to
  // raise (main.cpp): root without CAP_SYS_RESOURCE (a container) cannot.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) h.nofile = rl.rlim_max == RLIM_INFINITY ? 0 : rl.rlim_max;
  uint64_t ns = read_number("/proc/sys/user/max_mnt_namespaces");
  for (const char* p : {"/proc/sys/user/max_ipc_namespaces", "/proc/sys/user/max_uts_namespaces"})
    if (uint64_t v = read_number(p)) ns = ns ? std::min(ns, v) : v;
  h.mnt_namespaces = ns;
  if (FILE* f = fopen("/proc/meminfo", "re")) {
    char line[256];
    while (fgets(line, sizeof line, f)) {
      unsigned long long v;
      if (sscanf(line, "MemAvailable: %llu kB", &v) == 1) h.mem_available_kib = v;
    }
    fclose(f);
  }
  return h;
}

}  // namespace shoal::pool
