// Starting one shoal-vmm process: the child end of the stdout/stderr pipes,
// the channel's descriptors inherited under their own numbers, a pidfd to
// watch its exit from the event loop, and a parent-death signal so that a
// shoald killed with SIGKILL does not leave instances running.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "shoal/base/result.hpp"

namespace shoal::pool {

struct MonitorProcess {
  pid_t pid = -1;
  int pidfd = -1;   // readable when the process has exited (CLOEXEC)
  int out_fd = -1;  // read end of its stdout pipe (non-blocking, CLOEXEC)
  int err_fd = -1;  // read end of its stderr pipe (non-blocking, CLOEXEC)
};

struct MonitorLaunch {
  std::string program;            // absolute path of shoal-vmm
  std::vector<std::string> argv;  // argv[0] included
  std::vector<int> inherit_fds;   // kept open in the child under the same numbers
};

// Spawns the monitor. The child's stdin is /dev/null; its environment is
// shoald's (the guest's environment is passed with --env, not inherited).
Result<MonitorProcess> spawn_monitor(const MonitorLaunch& launch);

// Directory of the running executable (/proc/self/exe's), where shoal-vmm lives.
std::string own_exe_dir();

}  // namespace shoal::pool
