// fork, vfork, clone without CLONE_VM, and wait4/waitid: processes as
// copy-on-write clones of the instance (sched/process.hpp; the monitor's
// side: vmm/src/fork_vm.cpp). A wait blocks the whole instance in the
// monitor (a host waitid on the child's monitor) until a child ends or a
// signal for the guest arrives.
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "sched/process.hpp"
#include "sched/signal_state.hpp"
#include "sched/thread.hpp"
#include "time/clock.hpp"
#include "sched/syscalls.hpp"
#include "uapi/sched.hpp"
#include "uapi/signal.hpp"
#include "uapi/wait.hpp"

using namespace libos;
using namespace libos::uapi;  // Linux's names, as the man pages spell them

namespace {

constexpr uint64_t kForkAllowed = CSIGNAL | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID |
                                  CLONE_VM | CLONE_VFORK | CLONE_SETTLS;

struct Waited {
  long pid;
  int32_t status;  // Linux's wait status
};

// How often a multi-threaded process looks for an ended child.
constexpr uint64_t kWaitPollNs = 2'000'000;

Waited wait_child(int pid, bool nohang, bool nowait) {
  // A blocking wait in the monitor stops every thread of this process: with
  // other threads (Go's runtime, a thread reading the child's pipe), this
  // thread looks every kWaitPollNs instead, and the others run meanwhile.
  bool poll_here = !nohang && sched::thread_count() > 1;
  uint32_t flags = (nohang || poll_here ? shoal::abi::kWaitNoHang : 0) | (nowait ? shoal::abi::kWaitNoWait : 0);
  for (;;) {
    int32_t status = 0;
    long r = sched::process_call(shoal::abi::kProcessWait, pid, 0, flags, &status);
    // A monitor without the process model (tests): no children.
    if (r == -ENOSYS) r = -ECHILD;
    if (r != 0 || !poll_here) return Waited{r, status};
    sched::Thread* t = sched::current();
    if (sig_deliverable(t) != 0) return Waited{-EINTR, 0};
    (void)sched::block(monotonic_ns() + kWaitPollNs);
    if (sig_deliverable(t) != 0) return Waited{-EINTR, 0};
  }
}

}  // namespace

long sys_fork_frame(SyscallFrame& frame) { return sched::process_fork(frame, false, 0, nullptr); }
long sys_vfork_frame(SyscallFrame& frame) { return sched::process_fork(frame, true, 0, nullptr); }

// clone without CLONE_THREAD: a new process (sys_clone passes it here).
long clone_process(SyscallFrame& frame) {
  uint64_t flags = frame.rdi;
  uint64_t stack = frame.rsi;
  auto* parent_tid = reinterpret_cast<int*>(frame.rdx);
  auto* child_tid = reinterpret_cast<int*>(frame.r10);
  if ((flags & ~kForkAllowed) != 0) return -EINVAL;
  // Shared memory without CLONE_VFORK cannot be a copy.
  if ((flags & CLONE_VM) != 0 && (flags & CLONE_VFORK) == 0) return -ENOSYS;
  if ((flags & CLONE_PARENT_SETTID) != 0 && !user_writable(parent_tid, sizeof(int))) return -EFAULT;
  // With CLONE_VM the child runs on the stack it was given; without, a
  // stack argument is still honoured (Linux does).
  long r = sched::process_fork(frame, (flags & CLONE_VFORK) != 0, stack,
                               (flags & CLONE_CHILD_SETTID) != 0 ? child_tid : nullptr);
  if (r > 0 && (flags & CLONE_PARENT_SETTID) != 0) *parent_tid = static_cast<int>(r);
  return r;
}

long sys_wait4(int pid, int* status, int options, void* rusage) {
  if ((static_cast<unsigned>(options) & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) != 0)
    return -EINVAL;
  if (pid == INT32_MIN) return -ESRCH;
  if (status != nullptr && !user_writable(status, sizeof(int))) return -EFAULT;
  if (rusage != nullptr && !user_writable(rusage, 144)) return -EFAULT;
  Waited w = wait_child(pid, (options & WNOHANG) != 0, false);
  if (w.pid > 0) {
    if (status != nullptr) *status = w.status;
    // Resource usage of children is not measured: zeros (docs/compatibility.md).
    if (rusage != nullptr) memset(rusage, 0, 144);
  }
  return w.pid;
}

long sys_waitid(int idtype, int id, uapi::Siginfo* info, int options, void* rusage) {
  if ((options & (WEXITED | WSTOPPED | WCONTINUED)) == 0) return -EINVAL;
  if ((static_cast<unsigned>(options) & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) != 0)
    return -EINVAL;
  int pid;
  switch (idtype) {
    case P_ALL: pid = -1; break;
    case P_PID:
      if (id <= 0) return -EINVAL;
      pid = id;
      break;
    case P_PGID:
      if (id < 0) return -EINVAL;
      pid = id == 0 ? 0 : -id;
      break;
    default: return -EINVAL;
  }
  if (info != nullptr && !user_writable(info, sizeof(*info))) return -EFAULT;
  if (rusage != nullptr && !user_writable(rusage, 144)) return -EFAULT;
  // Only ends are reported: a waitid for stops or continues alone finds none.
  if ((options & WEXITED) == 0) return (options & WNOHANG) != 0 ? 0 : -ECHILD;
  Waited w = wait_child(pid, (options & WNOHANG) != 0, (options & WNOWAIT) != 0);
  if (w.pid < 0) return w.pid;
  if (info != nullptr) {
    memset(info, 0, sizeof(*info));
    if (w.pid > 0) {
      info->signo = SIGCHLD;
      int sig = w.status & 0x7f;
      info->code = sig == 0 ? CLD_EXITED : (w.status & 0x80) != 0 ? CLD_DUMPED : CLD_KILLED;
      info->pid = static_cast<int32_t>(w.pid);
      info->uid = 0;
      int32_t st = sig == 0 ? (w.status >> 8) & 0xff : sig;
      memcpy(info->rest, &st, sizeof st);
    }
  }
  if (rusage != nullptr) memset(rusage, 0, 144);
  return 0;
}
