// clone for threads (the flags glibc's and musl's pthread_create pass), exit
// and exit_group. clone without CLONE_THREAD makes a process (sys_fork.cpp);
// clone3 returns -ENOSYS, so glibc falls back to clone.
#include "core/errno.hpp"
#include "core/hypercall.hpp"
#include "core/uaccess.hpp"
#include "sched/io_hooks.hpp"
#include "sched/exit_hook.hpp"
#include "sched/futex.hpp"
#include "sched/robust.hpp"
#include "sched/preempt.hpp"
#include "sched/thread.hpp"
#include "sched/syscalls.hpp"
#include "uapi/sched.hpp"

extern "C" void shoal_clone_child_return();

using namespace libos;
using namespace libos::uapi;  // Linux's names, as the man pages spell them

namespace {
constexpr uint64_t kAllowed = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                              CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                              CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID | CSIGNAL;
}  // namespace

long sys_clone(SyscallFrame& frame) {
  uint64_t flags = frame.rdi;
  uint64_t stack = frame.rsi;
  auto* parent_tid = reinterpret_cast<int*>(frame.rdx);
  auto* child_tid = reinterpret_cast<int*>(frame.r10);
  uint64_t tls = frame.r8;

  if ((flags & CLONE_THREAD) == 0) return clone_process(frame);  // a process (sys_fork.cpp)
  if ((flags & ~kAllowed) != 0) return -EINVAL;
  if ((flags & CLONE_THREAD) != 0 && (flags & CLONE_SIGHAND) == 0) return -EINVAL;
  if ((flags & CLONE_SIGHAND) != 0 && (flags & CLONE_VM) == 0) return -EINVAL;
  if (stack == 0 || stack < 136 || !user_writable(reinterpret_cast<void*>(stack - 136), 136)) {
    return -EINVAL;
  }
  if ((flags & CLONE_PARENT_SETTID) != 0 && !user_writable(parent_tid, sizeof(int))) return -EFAULT;

  sched::Thread* parent = sched::current();
  uint64_t fs = (flags & CLONE_SETTLS) != 0 ? tls : cpu_fs_base();
  sched::Thread* child = sched::create(fs);
  if (child == nullptr) return -ENOMEM;
  // From the second thread on, a thread that never makes a system call must
  // not starve the others: time slices (sched/preempt.hpp).
  sched::preempt_enable();
  (void)parent;

  // The child returns from this system call on its own stack with rax = 0:
  // the parent's return address goes where `ret $128` expects it.
  *reinterpret_cast<uint64_t*>(stack - 136) = frame.user_rip();
  auto* child_frame = reinterpret_cast<SyscallFrame*>(child->kstack_top - sizeof(SyscallFrame));
  *child_frame = frame;
  child_frame->user_rsp = stack - 136;
  // Below the frame: what shoal_context_switch pops (r15 r14 r13 r12 rbx
  // rbp) and then `ret`s to.
  auto* sw = reinterpret_cast<uint64_t*>(child_frame) - 7;
  for (int i = 0; i < 6; ++i) sw[i] = 0;
  sw[6] = reinterpret_cast<uint64_t>(&shoal_clone_child_return);
  child->saved_rsp = reinterpret_cast<uint64_t>(sw);

  if ((flags & CLONE_PARENT_SETTID) != 0) *parent_tid = child->tid;
  if ((flags & CLONE_CHILD_SETTID) != 0 && user_writable(child_tid, sizeof(int))) *child_tid = child->tid;
  if ((flags & CLONE_CHILD_CLEARTID) != 0) child->clear_child_tid = child_tid;
  sched::make_runnable(child);
  return child->tid;
}

long sys_clone3(void*, size_t) { return -ENOSYS; }

long sys_exit(int status) {
  sched::Thread* t = sched::current();
  // As Linux's exit: robust mutexes still held get FUTEX_OWNER_DIED first.
  sched::exit_robust_list(t);
  if (t->clear_child_tid != nullptr && user_writable(t->clear_child_tid, sizeof(int))) {
    // pthread_join waits on this word (CLONE_CHILD_CLEARTID).
    *t->clear_child_tid = 0;
    futex_wake(reinterpret_cast<uint32_t*>(t->clear_child_tid), 1, ~0u);
  }
  // The thread runs on its kernel stack from here on: its own user stack,
  // if it asked for that to be unmapped, can go (sched/robust.cpp).
  sched::exit_deferred_unmap(t);
  sched::exit_current(status);
}

long sys_exit_group(int status) {
  sched::run_exit_hook();
  sched::g_io_hooks.drain_before_exit();
  shoal::abi::HcExit args{status & 0xff, 0};
  hypercall(shoal::abi::Hypercall::exit, &args);
  __builtin_unreachable();
}

long sys_set_tid_address(int* tidptr) {
  sched::current()->clear_child_tid = tidptr;
  return sched::current()->tid;
}
