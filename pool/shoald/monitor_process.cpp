#include "monitor_process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace shoal::pool {

std::string own_exe_dir() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return ".";
  std::string path(exe, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

Result<MonitorProcess> spawn_monitor(const MonitorLaunch& launch) {
  if (launch.stdout_fd < 0 || launch.stderr_fd < 0) return make_error("spawn_monitor: no stdout/stderr given");
  int out_fd = launch.stdout_fd, err_fd = launch.stderr_fd;
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) return errno_error("/dev/null");

  // Everything the child needs is prepared before vfork: between vfork and
  // execve the child shares our memory and may only make system calls.
  std::vector<char*> argv;
  for (const auto& a : launch.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const char* program = launch.program.c_str();
  const int* inherit = launch.inherit_fds.data();
  size_t inherit_count = launch.inherit_fds.size();
  pid_t parent = getpid();
  // The vfork child shares our memory: it reports a failed exec here.
  volatile int child_errno = 0;
  sigset_t none;
  sigemptyset(&none);

  // NOTE: vfork rather than posix_spawn, for PR_SET_PDEATHSIG (posix_spawn
  // has no way to set it). shoald is single-threaded, so the parent-death
  // signal, which follows the creating thread, fires exactly when shoald dies.
  pid_t pid = vfork();
  if (pid == 0) {
    // Child: only async-signal-safe system calls from here on.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      child_errno = errno;
      _exit(127);
    }
    if (getppid() != parent) _exit(127);  // shoald died already
    // shoald blocks the signals it reads through a signalfd; the monitor
    // must start with none blocked.
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
      if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    if (dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
      child_errno = errno;
      _exit(127);
    }
    // The child has its own descriptor table (vfork shares memory, not
    // files): clearing close-on-exec here leaves shoald's copies alone.
    for (size_t i = 0; i < inherit_count; ++i) {
      int flags = fcntl(inherit[i], F_GETFD);
      if (flags < 0 || fcntl(inherit[i], F_SETFD, flags & ~FD_CLOEXEC) != 0) {
        child_errno = errno;
        _exit(127);
      }
    }
    execve(program, argv.data(), environ);
    child_errno = errno;
    _exit(127);
  }
  int spawn_errno = errno;
  close(devnull);
  if (pid < 0) {
    errno = spawn_errno;
    return errno_error("vfork");
  }
  if (child_errno != 0) {
    // The child has exited already (vfork returns after exec or _exit).
    waitpid(pid, nullptr, 0);
    errno = child_errno;
    return errno_error(launch.program);
  }
  MonitorProcess p;
  p.pid = pid;
  return p;
}

}  // namespace shoal::pool
