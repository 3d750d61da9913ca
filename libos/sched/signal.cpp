// Signal system calls, as far as one process goes: actions, masks, pending
// sets, alternate stacks, sending to ourselves (kill, tkill, tgkill) and
// waiting (rt_sigsuspend, pause, rt_sigtimedwait). Sending only marks a
// signal pending; it is taken at the exit of the current system call
// (signal_deliver), which is where raise(), abort() and an unblocking
// rt_sigprocmask see their handler run, as on Linux.
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "sched/thread.hpp"
#include "sched/syscalls.hpp"
#include "sched/process.hpp"
#include "sched/signal_state.hpp"
#include "time/clock.hpp"
#include "uapi/signal.hpp"
#include "uapi/time.hpp"

namespace libos {

uapi::KSigaction g_sig_actions[kSignals + 1];
uint64_t g_sig_pending = 0;

namespace {

bool ignored(int sig) {
  uint64_t h = g_sig_actions[sig].handler;
  return h == uapi::SIG_IGN || (h == uapi::SIG_DFL && signal_default_ignored(sig));
}

// The thread that should take a process-directed sig: the current one if it
// can, else any that does not block it (or waits for it in sigtimedwait).
sched::Thread* pick_target(int sig) {
  sched::Thread* start = sched::first();
  sched::Thread* t = start;
  do {
    if (t->state != sched::ThreadState::dead &&
        ((t->sigmask & sig_bit(sig)) == 0 || (t->sigwait_set & sig_bit(sig)) != 0)) {
      return t;
    }
    t = t->next;
  } while (t != start);
  return nullptr;
}

long send(int sig, int code, sched::Thread* target) {
  if (sig < 0 || sig > kSignals) return -EINVAL;
  if (sig == 0) return 0;
  signal_post(sig, code, target);
  return 0;
}

}  // namespace

void signal_post(int sig, int code, sched::Thread* target) {
  if (code != kSiPreset) signal_set_info(sig, code, 0, 0);
  sched::Thread* taker = target != nullptr ? target : pick_target(sig);
  bool blocked = taker == nullptr || ((taker->sigmask & sig_bit(sig)) != 0 && (sig_bit(sig) & kUnblockable) == 0);
  bool waited = taker != nullptr && (taker->sigwait_set & sig_bit(sig)) != 0;
  // Linux discards an ignored signal at once unless it is blocked.
  if (!blocked && !waited && ignored(sig)) return;
  if (!blocked && !waited && g_sig_actions[sig].handler == uapi::SIG_DFL) {
    signal_die(sig, static_cast<const SyscallFrame*>(sched::current()->cur_frame));
  }
  if (target != nullptr) {
    target->sigpending |= sig_bit(sig);
  } else {
    g_sig_pending |= sig_bit(sig);
  }
  if (taker != nullptr && (!blocked || waited) && taker->state == sched::ThreadState::blocked) {
    sched::interrupt(taker);
  }
}

}  // namespace libos

using namespace libos;

long sys_rt_sigaction(int sig, const uapi::KSigaction* act, uapi::KSigaction* oact, size_t sigsetsize) {
  if (sigsetsize != sizeof(uapi::KSigset)) return -EINVAL;
  if (sig < 1 || sig > kSignals) return -EINVAL;
  if (act != nullptr && (sig == uapi::SIGKILL || sig == uapi::SIGSTOP)) return -EINVAL;
  uapi::KSigaction fresh{};
  if (act != nullptr) {
    if (!user_readable(act, sizeof(*act))) return -EFAULT;
    fresh = *act;
  }
  if (oact != nullptr) {
    if (!user_writable(oact, sizeof(*oact))) return -EFAULT;
    *oact = g_sig_actions[sig];
  }
  if (act != nullptr) {
    fresh.mask &= ~kUnblockable;
    g_sig_actions[sig] = fresh;
    if (fresh.handler != uapi::SIG_DFL && fresh.handler != uapi::SIG_IGN) signal_fault_register(sig);
    if (ignored(sig)) {
      // POSIX: setting an ignoring action discards the pending instances.
      g_sig_pending &= ~sig_bit(sig);
      for (sched::Thread* t = sched::first(), *s = t;;) {
        t->sigpending &= ~sig_bit(sig);
        t = t->next;
        if (t == s) break;
      }
    }
  }
  return 0;
}

long sys_rt_sigprocmask(SyscallFrame& f) {
  int how = static_cast<int>(f.rdi);
  auto* set = reinterpret_cast<const uint64_t*>(f.rsi);
  auto* oset = reinterpret_cast<uint64_t*>(f.rdx);
  if (f.r10 != sizeof(uapi::KSigset)) return -EINVAL;
  sched::Thread* t = sched::current();
  uint64_t fresh = t->sigmask;
  if (set != nullptr) {
    if (!user_readable(set, sizeof(uapi::KSigset))) return -EFAULT;
    switch (how) {
      case uapi::SIG_BLOCK: fresh |= *set; break;
      case uapi::SIG_UNBLOCK: fresh &= ~*set; break;
      case uapi::SIG_SETMASK: fresh = *set; break;
      default: return -EINVAL;
    }
  }
  if (oset != nullptr) {
    if (!user_writable(oset, sizeof(uapi::KSigset))) return -EFAULT;
    *oset = t->sigmask;
  }
  // Newly unblocked pending signals are taken at this call's exit.
  t->sigmask = fresh & ~kUnblockable;
  return 0;
}

long sys_rt_sigpending(uint64_t* set, size_t sigsetsize) {
  if (sigsetsize > sizeof(uapi::KSigset)) return -EINVAL;
  if (!user_writable(set, sigsetsize)) return -EFAULT;
  sched::Thread* t = sched::current();
  uint64_t pending = (g_sig_pending | t->sigpending) & t->sigmask;
  memcpy(set, &pending, sigsetsize);
  return 0;
}

long sys_sigaltstack(SyscallFrame& f) {
  auto* ss = reinterpret_cast<const uapi::Stack*>(f.rdi);
  auto* old = reinterpret_cast<uapi::Stack*>(f.rsi);
  sched::Thread* t = sched::current();
  uint64_t sp = f.site_rsp();
  bool on = t->altstack_flags != uapi::SS_DISABLE && sp > t->altstack_sp && sp - t->altstack_sp <= t->altstack_size;
  uapi::Stack fresh{};
  if (ss != nullptr) {
    if (!user_readable(ss, sizeof(*ss))) return -EFAULT;
    fresh = *ss;
  }
  if (old != nullptr) {
    if (!user_writable(old, sizeof(*old))) return -EFAULT;
    uapi::Stack cur{};
    cur.sp = t->altstack_sp;
    cur.size = t->altstack_size;
    cur.flags = on ? uapi::SS_ONSTACK : (t->altstack_flags & ~uapi::SS_AUTODISARM);
    *old = cur;
  }
  if (ss != nullptr) {
    if (on) return -EPERM;
    int mode = fresh.flags & ~uapi::SS_AUTODISARM;
    if (mode != 0 && mode != uapi::SS_ONSTACK && mode != uapi::SS_DISABLE) return -EINVAL;
    if (mode == uapi::SS_DISABLE) {
      t->altstack_sp = 0;
      t->altstack_size = 0;
      t->altstack_flags = uapi::SS_DISABLE;
    } else {
      if (fresh.size < uapi::MINSIGSTKSZ) return -ENOMEM;
      t->altstack_sp = fresh.sp;
      t->altstack_size = fresh.size;
      t->altstack_flags = fresh.flags & uapi::SS_AUTODISARM;
    }
  }
  return 0;
}

// Another process of the family is reached through the monitor (the
// `process` hypercall: a host signal to its monitor, which forwards it to
// its guest); this one directly.
long sys_kill(int pid, int sig) {
  if (sig < 0 || sig > kSignals) return -EINVAL;
  if (pid == sched::self_pid()) return send(sig, uapi::SI_USER, nullptr);
  int32_t to_self = 0;
  long r = sched::process_call(shoal::abi::kProcessKill, pid, sig, 0, &to_self);
  if (r == -ENOSYS || (r == -ESRCH && (pid == 0 || pid == -1))) {
    // One process (or a monitor without the process model): the caller's
    // group and "every process" are the caller, as before any fork.
    if (pid != 0 && pid != -1) return -ESRCH;
    return send(sig, uapi::SI_USER, nullptr);
  }
  if (r < 0) return r;
  if (to_self != 0) return send(sig, uapi::SI_USER, nullptr);
  return 0;
}

long sys_tkill(int tid, int sig) {
  if (tid <= 0) return -EINVAL;
  sched::Thread* t = sched::find(tid);
  if (t == nullptr) return -ESRCH;
  return send(sig, uapi::SI_TKILL, t);
}

long sys_tgkill(int tgid, int tid, int sig) {
  if (tgid <= 0 || tid <= 0) return -EINVAL;
  sched::Thread* t = sched::find(tid);
  if (tgid != sched::self_pid() || t == nullptr) return -ESRCH;
  return send(sig, uapi::SI_TKILL, t);
}

long sys_rt_sigsuspend(const uint64_t* mask, size_t sigsetsize) {
  if (sigsetsize != sizeof(uapi::KSigset)) return -EINVAL;
  if (!user_readable(mask, sizeof(uapi::KSigset))) return -EFAULT;
  sched::Thread* t = sched::current();
  t->suspend_mask = t->sigmask;
  t->in_suspend = true;  // signal_deliver restores suspend_mask
  t->sigmask = *mask & ~kUnblockable;
  while (sig_deliverable(t) == 0) sched::block(sched::kNoDeadline);
  return -EINTR;
}

long sys_pause() {
  sched::Thread* t = sched::current();
  while (sig_deliverable(t) == 0) sched::block(sched::kNoDeadline);
  return -EINTR;
}

long sys_rt_sigtimedwait(const uint64_t* set, uapi::Siginfo* info, const uapi::Timespec* timeout,
                         size_t sigsetsize) {
  if (sigsetsize != sizeof(uapi::KSigset)) return -EINVAL;
  if (!user_readable(set, sizeof(uapi::KSigset))) return -EFAULT;
  if (info != nullptr && !user_writable(info, sizeof(*info))) return -EFAULT;
  uint64_t want = *set & ~kUnblockable;
  uint64_t deadline = sched::kNoDeadline;
  if (timeout != nullptr) {
    if (!user_readable(timeout, sizeof(*timeout))) return -EFAULT;
    if (timeout->sec < 0 || timeout->nsec < 0 || timeout->nsec >= static_cast<int64_t>(uapi::kNsPerSec)) {
      return -EINVAL;
    }
    deadline = monotonic_ns() + static_cast<uint64_t>(timeout->sec) * uapi::kNsPerSec +
               static_cast<uint64_t>(timeout->nsec);
  }
  sched::Thread* t = sched::current();
  for (;;) {
    uint64_t ready = (g_sig_pending | t->sigpending) & want;
    if (ready != 0) {
      int sig = __builtin_ctzll(ready) + 1;
      if ((t->sigpending & sig_bit(sig)) != 0) {
        t->sigpending &= ~sig_bit(sig);
      } else {
        g_sig_pending &= ~sig_bit(sig);
      }
      t->sigwait_set = 0;
      if (info != nullptr) {
        memset(info, 0, sizeof(*info));
        info->signo = sig;
        info->code = signal_info_code(sig);
        if (info->code <= 0 && info->code != uapi::SI_TIMER) info->pid = 1;
      }
      return sig;
    }
    if (sig_deliverable(t) != 0) break;  // another signal: its handler runs
    if (monotonic_ns() >= deadline) {
      t->sigwait_set = 0;
      return -EAGAIN;
    }
    t->sigwait_set = want;
    sched::block(deadline);
  }
  t->sigwait_set = 0;
  return -EINTR;
}

// sigqueue(): a signal with a value, to ourselves (pid) or one thread.
long sys_rt_sigqueueinfo(int pid, int sig, const uapi::Siginfo* info) {
  if (!user_readable(info, sizeof(*info))) return -EFAULT;
  if (pid != sched::self_pid()) return -ESRCH;
  if (sig < 0 || sig > kSignals) return -EINVAL;
  if (sig == 0) return 0;
  int64_t value;
  memcpy(&value, info->rest, sizeof(value));
  signal_set_info(sig, info->code, 0, value);
  signal_post(sig, kSiPreset, nullptr);
  return 0;
}

long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, const uapi::Siginfo* info) {
  if (!user_readable(info, sizeof(*info))) return -EFAULT;
  if (tgid <= 0 || tid <= 0) return -EINVAL;
  sched::Thread* t = sched::find(tid);
  if (tgid != sched::self_pid() || t == nullptr) return -ESRCH;
  if (sig < 0 || sig > kSignals) return -EINVAL;
  if (sig == 0) return 0;
  int64_t value;
  memcpy(&value, info->rest, sizeof(value));
  signal_set_info(sig, info->code, 0, value);
  signal_post(sig, kSiPreset, t);
  return 0;
}
