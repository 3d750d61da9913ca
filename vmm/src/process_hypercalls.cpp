#include "process_hypercalls.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shoal/abi/boot.h>

#include "family.hpp"
#include "host_signals.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

inline constexpr uint64_t kMaxHostFdTransfer = 1 << 20;

int g_vfork_release_fd = -1;

void vfork_release() {
  if (g_vfork_release_fd < 0) return;
  close(g_vfork_release_fd);
  g_vfork_release_fd = -1;
}

Result<HcAction> finish(HypercallEnv& env, GuestAddr a, int64_t result, int32_t status = 0) {
  TRY(write_field(env, a, offsetof(HcProcess, status), status));
  TRY(write_field(env, a, offsetof(HcProcess, result), result));
  return HcAction{};
}

// What a host wait status says, as the guest's wait4 reports it: a monitor
// that ended normally carries the guest's exit status, one that re-raised
// the guest's fatal signal (main.cpp) ended by that signal.
int32_t guest_wait_status(int host_status) { return host_status & 0xffff; }

Result<HcAction> do_wait(HypercallEnv& env, GuestAddr a, const HcProcess& args) {
  Family& fam = *env.family;
  int32_t target = args.pid > 0 ? args.pid : -1;
  if (!fam.has_child(target)) return finish(env, a, -ECHILD);
  pid_t host = -1;
  if (target > 0) {
    FamilyEntry* e = fam.find(target);
    host = e ? e->host_pid.load() : 0;
    if (host <= 0) return finish(env, a, -ECHILD);
  }
  // Always WNOHANG on the host: a blocking wait is a look, then a sleep that
  // SIGCHLD (a child's end) or a signal for the guest interrupts, in slices
  // of 100 ms (a signal that came between the look and the sleep would
  // otherwise wait for the next child's end: a lost wake-up).
  int options = WEXITED | WNOHANG;
  bool blocking = (args.flags & kWaitNoHang) == 0;
  if (args.flags & kWaitNoWait) options |= WNOWAIT;
  for (;;) {
    siginfo_t info{};
    int rc = waitid(host > 0 ? P_PID : P_ALL, host > 0 ? static_cast<id_t>(host) : 0, &info, options);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return finish(env, a, -errno);
    }
    if (info.si_pid == 0) {
      if (!blocking) return finish(env, a, 0);  // WNOHANG: none ended
      if (env.timed_out && env.timed_out()) return HcAction{HcAction::Kind::timeout};
      if (host_signals_pending_except_child()) return finish(env, a, -EINTR);
      (void)poll(nullptr, 0, 100);
      continue;
    }
    FamilyEntry* e = fam.find_host(info.si_pid);
    int32_t pid = e ? e->guest_pid.load() : 0;
    int status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8
                 : info.si_code == CLD_DUMPED ? (info.si_status & 0x7f) | 0x80
                                              : info.si_status & 0x7f;
    if (!(args.flags & kWaitNoWait)) fam.remove(e);
    if (pid <= 0) continue;  // a host child that is not a process of the family (cannot happen)
    return finish(env, a, pid, guest_wait_status(status));
  }
}

bool signal_reaches_monitor(int sig) {
  if (sig == 0 || sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT) return true;
  return sig > 0 && sig < 32 && (kHostSignals & (1u << sig)) != 0;
}

Result<HcAction> do_kill(HypercallEnv& env, GuestAddr a, const HcProcess& args) {
  Family& fam = *env.family;
  if (args.sig < 0 || args.sig > 64) return finish(env, a, -EINVAL);
  FamilyEntry* self = fam.self();
  int32_t self_pgid = self ? self->pgid.load() : 1;
  int sent = 0;
  bool to_self = false;
  bool refused = false;
  for (auto& e : fam.table().entries) {
    int32_t g = e.guest_pid.load();
    if (g <= 0) continue;
    bool match = args.pid > 0    ? g == args.pid
                 : args.pid == 0 ? e.pgid.load() == self_pgid
                 : args.pid == -1 ? g != 1 && g != fam.self_pid()
                                  : e.pgid.load() == -args.pid;
    if (!match) continue;
    if (g == fam.self_pid()) {
      to_self = true;
      ++sent;
      continue;
    }
    pid_t h = e.host_pid.load();
    if (h <= 0) continue;
    if (!signal_reaches_monitor(args.sig)) {
      refused = true;
      continue;
    }
    if (kill(h, args.sig) == 0) ++sent;
  }
  if (sent == 0) return finish(env, a, refused ? -EINVAL : -ESRCH);
  return finish(env, a, 0, to_self ? 1 : 0);
}

Result<HcAction> hc_process(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcProcess>(env, a));
  if (env.family == nullptr) return finish(env, a, -ENOSYS);
  Family& fam = *env.family;
  switch (args.op) {
    case kProcessFork: {
      HcAction action{HcAction::Kind::fork};
      action.args = a;
      return action;
    }
    case kProcessWait: return do_wait(env, a, args);
    case kProcessVforkDone:
      vfork_release();
      return finish(env, a, 0);
    case kProcessKill: return do_kill(env, a, args);
    case kProcessGetpgid:
    case kProcessGetsid: {
      FamilyEntry* e = fam.find(args.pid == 0 ? fam.self_pid() : args.pid);
      if (e == nullptr) return finish(env, a, -ESRCH);
      return finish(env, a, args.op == kProcessGetpgid ? e->pgid.load() : e->sid.load());
    }
    case kProcessSetpgid: {
      int32_t pid = args.pid == 0 ? fam.self_pid() : args.pid;
      int32_t pgid = args.sig == 0 ? pid : args.sig;
      if (pid < 0 || pgid < 0) return finish(env, a, -EINVAL);
      FamilyEntry* e = fam.find(pid);
      FamilyEntry* self = fam.self();
      if (e == nullptr || self == nullptr || (pid != fam.self_pid() && e->parent.load() != fam.self_pid()))
        return finish(env, a, -ESRCH);
      if (e->sid.load() != self->sid.load() || e->sid.load() == pid) return finish(env, a, -EPERM);
      // The group must exist in the session, unless it is the process's own.
      if (pgid != pid) {
        bool exists = false;
        for (auto& o : fam.table().entries)
          if (o.guest_pid.load() > 0 && o.pgid.load() == pgid && o.sid.load() == self->sid.load()) exists = true;
        if (!exists) return finish(env, a, -EPERM);
      }
      e->pgid.store(pgid);
      return finish(env, a, 0);
    }
    case kProcessSetsid: {
      FamilyEntry* self = fam.self();
      if (self == nullptr) return finish(env, a, -EPERM);
      int32_t me = fam.self_pid();
      for (auto& o : fam.table().entries)
        if (o.guest_pid.load() > 0 && o.pgid.load() == me) return finish(env, a, -EPERM);
      self->pgid.store(me);
      self->sid.store(me);
      return finish(env, a, me);
    }
    default:
      return finish(env, a, -EINVAL);
  }
}

// host_fd ---------------------------------------------------------------

bool host_fd_known(const HypercallEnv& env, int fd) {
  if (fd < 0) return false;
  for (int f : env.host_fds)
    if (f == fd) return true;
  return false;
}

bool remember_host_fd(HypercallEnv& env, int fd) {
  for (int& f : env.host_fds) {
    if (f < 0) {
      f = fd;
      return true;
    }
  }
  return false;
}

void forget_host_fd(HypercallEnv& env, int fd) {
  for (int& f : env.host_fds)
    if (f == fd) f = -1;
}

Result<HcAction> host_fd_result(HypercallEnv& env, GuestAddr a, int64_t result) {
  TRY(write_field(env, a, offsetof(HcHostFd, result), result));
  return HcAction{};
}

// Waits until fd is ready for `events`; -EINTR for a forwarded signal other
// than SIGCHLD, 1 when ready, or the timeout action.
Result<int> wait_ready(HypercallEnv& env, int fd, short events) {
  for (;;) {
    // Looked at before each slice of at most 100 ms: a signal that came
    // just before the poll began does not wait for the descriptor.
    if (env.timed_out && env.timed_out()) return 0;
    if (host_signals_pending_except_child()) return -EINTR;
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, 100);
    if (n > 0) return 1;
    if (n < 0 && errno != EINTR) return -errno;
  }
}

Result<HcAction> hc_host_fd(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcHostFd>(env, a));
  // Only a monitor that can fork shares pipes (and its seccomp filter
  // allows the calls): elsewhere the LibOS's fork fails here first.
  if (env.family == nullptr) return host_fd_result(env, a, -ENOSYS);
  switch (args.op) {
    case kHostFdPipe: {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) return host_fd_result(env, a, -errno);
      if (!remember_host_fd(env, fds[0]) || !remember_host_fd(env, fds[1])) {
        forget_host_fd(env, fds[0]);
        close(fds[0]);
        close(fds[1]);
        return host_fd_result(env, a, -EMFILE);
      }
      TRY(write_field(env, a, offsetof(HcHostFd, fd), static_cast<int32_t>(fds[0])));
      TRY(write_field(env, a, offsetof(HcHostFd, fd2), static_cast<int32_t>(fds[1])));
      return host_fd_result(env, a, 0);
    }
    case kHostFdClose:
      if (!host_fd_known(env, args.fd)) return host_fd_result(env, a, -EBADF);
      forget_host_fd(env, args.fd);
      close(args.fd);
      return host_fd_result(env, a, 0);
    case kHostFdPoll: {
      if (!host_fd_known(env, args.fd)) return host_fd_result(env, a, -EBADF);
      pollfd p{args.fd, static_cast<short>(args.len & (POLLIN | POLLOUT)), 0};
      int n = poll(&p, 1, 0);
      return host_fd_result(env, a, n < 0 ? -errno : n == 0 ? 0 : p.revents);
    }
    case kHostFdRead:
    case kHostFdWrite: {
      if (!host_fd_known(env, args.fd)) return host_fd_result(env, a, -EBADF);
      if (args.len > kMaxHostFdTransfer) return host_fd_result(env, a, -EINVAL);
      bool reading = args.op == kHostFdRead;
      auto buf = TRY(guest_buffer(env, "buffer", args.buf, args.len, reading ? Access::write : Access::read));
      for (;;) {
        // The descriptors are non-blocking (shared with other processes of
        // the family): a wait is a poll here, interruptible by signals.
        ssize_t n = reading ? read(args.fd, buf.data(), buf.size()) : write(args.fd, buf.data(), buf.size());
        if (n >= 0) return host_fd_result(env, a, n);
        if (errno != EAGAIN || (args.flags & kHostFdNonBlock)) return host_fd_result(env, a, -errno);
        auto ready = TRY(wait_ready(env, args.fd, reading ? POLLIN : POLLOUT));
        if (ready == 0) return HcAction{HcAction::Kind::timeout};
        if (ready < 0) return host_fd_result(env, a, ready);
      }
    }
    default:
      return host_fd_result(env, a, -EINVAL);
  }
}

}  // namespace

void set_vfork_release_fd(int fd) { g_vfork_release_fd = fd; }

std::vector<HypercallRoute> process_hypercalls() {
  return {{Hypercall::process, hc_process}, {Hypercall::host_fd, hc_host_fd}};
}

}  // namespace shoal::vmm
