#include "sched/process.hpp"

#include "core/errno.hpp"
#include "core/hypercall.hpp"
#include "core/uaccess.hpp"
#include "sched/exit_hook.hpp"
#include "sched/futex.hpp"
#include "sched/signal_state.hpp"
#include "sched/thread.hpp"

namespace libos::sched {
namespace {

int g_pid = 1;
int g_ppid = 0;
bool g_in_family = false;

long no_prepare() { return 0; }
constinit ForkHooks g_fork_hooks{no_prepare};

// The child's state, as Linux's fork leaves it: only the calling thread
// (its tid the new pid, as a process's first thread), no interval or POSIX
// timers, no pending signals; dispositions, masks and memory are the
// parent's copy.
void become_child(int pid, int ppid) {
  g_pid = pid;
  g_ppid = ppid;
  reset_threads_after_fork(pid);
  futex_reset_after_fork();
  timers_reset_after_fork();
  g_sig_pending = 0;
  current()->sigpending = 0;
  shoal_preempt_area.pending = 0;
  // System V IPC: inherited attachments count again, no SEM_UNDO inherited.
  run_fork_child_hook();
}

}  // namespace

int self_pid() { return g_pid; }
int parent_pid() { return g_ppid; }
bool in_family() { return g_in_family; }

void set_fork_hooks(const ForkHooks& hooks) { g_fork_hooks = hooks; }

long process_call(uint32_t op, int32_t pid, int32_t sig, uint32_t flags, int32_t* status) {
  shoal::abi::HcProcess args{};
  args.op = op;
  args.pid = pid;
  args.sig = sig;
  args.flags = flags;
  hypercall(shoal::abi::Hypercall::process, &args);
  if (status != nullptr) *status = args.status;
  return static_cast<long>(args.result);
}

void vfork_done() { (void)process_call(shoal::abi::kProcessVforkDone, 0, 0, 0); }

long process_fork(SyscallFrame& frame, bool wait_child, uint64_t child_stack, int* child_tid) {
  if (child_stack != 0 && (child_stack < 136 || !user_writable(reinterpret_cast<void*>(child_stack - 136), 136)))
    return -EINVAL;
  if (long err = g_fork_hooks.prepare(); err < 0) return err;
  shoal::abi::HcProcess args{};
  args.op = shoal::abi::kProcessFork;
  args.flags = wait_child ? shoal::abi::kForkWaitChild : 0;
  // The child resumes right after this `outl`, in a copy of this memory,
  // with result 0: from here on the two processes part.
  hypercall(shoal::abi::Hypercall::process, &args);
  if (args.result > 0) g_in_family = true;
  if (args.result != 0) return static_cast<long>(args.result);
  g_in_family = true;
  become_child(args.self_pid, args.parent_pid);
  if (child_tid != nullptr && user_writable(child_tid, sizeof(int))) *child_tid = args.self_pid;
  if (child_stack != 0) {
    // clone with a stack: the child returns there (as sys_clone's threads do:
    // the return address where `ret $128` expects it).
    *reinterpret_cast<uint64_t*>(child_stack - 136) = frame.user_rip();
    frame.user_rsp = child_stack - 136;
  }
  return 0;
}

}  // namespace libos::sched
