// Starting one shoal-vmm process: the stdout and stderr it is given (the
// console sockets every monitor shares, MonitorWatch), the channel's
// descriptors inherited under their own numbers, and a parent-death signal
// so that a shoald killed with SIGKILL does not leave instances running.
// Its exit is watched by pid (MonitorWatch): shoald keeps no descriptor of
// its own per monitor.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "shoal/base/result.hpp"

namespace shoal::pool {

struct MonitorProcess {
  pid_t pid = -1;  // a child of shoald until MonitorWatch reaps it
};

struct MonitorLaunch {
  std::string program;            // absolute path of shoal-vmm
  std::vector<std::string> argv;  // argv[0] included
  std::vector<int> inherit_fds;   // kept open in the child under the same numbers
  int stdout_fd = -1;             // dup2'ed to the child's 1 and 2 (MonitorWatch's)
  int stderr_fd = -1;
};

// Spawns the monitor. The child's stdin is /dev/null; its environment is
// shoald's (the guest's environment is passed with --env, not inherited).
Result<MonitorProcess> spawn_monitor(const MonitorLaunch& launch);

// Directory of the running executable (/proc/self/exe's), where shoal-vmm lives.
std::string own_exe_dir();

}  // namespace shoal::pool
