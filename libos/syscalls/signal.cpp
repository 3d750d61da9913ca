// Signals, synchronous only: a program can signal itself (raise, abort,
// kill(getpid())). Handlers are stored per process, masks per thread. A
// blocked signal stays pending until rt_sigprocmask unblocks it (glibc's
// raise() blocks everything around tgkill, so abort() depends on this).
// A fatal default action ends the instance with a `report` hypercall; a user
// handler runs synchronously on the program's stack below its red zone.
#include "arch/x86_64/cpu.hpp"
#include "core/errno.hpp"
#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/kmalloc.hpp"
#include "core/uaccess.hpp"
#include "sched/thread.hpp"
#include "syscalls/handlers.hpp"

extern "C" {
extern uint64_t shoal_kstack_top;
void shoal_call_on_stack(uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t stack);
}

using namespace libos;

namespace {

constexpr int kSignals = 64;
constexpr int SIGKILL = 9, SIGSTOP = 19;
constexpr uint64_t SIG_DFL = 0, SIG_IGN = 1;
constexpr uint64_t SA_SIGINFO = 4, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
constexpr int SI_TKILL = -6, SI_USER = 0;

lk::KSigaction g_actions[kSignals + 1];
uint64_t g_pending = 0;

uint64_t bit(int sig) { return uint64_t{1} << (sig - 1); }
constexpr uint64_t kUnblockable = (uint64_t{1} << (SIGKILL - 1)) | (uint64_t{1} << (SIGSTOP - 1));

struct SignalName {
  const char* name;
  const char* what;
};
SignalName signal_name(int sig) {
  static const SignalName kNames[] = {
      {"SIG0", "signal 0"},        {"SIGHUP", "hangup"},
      {"SIGINT", "interrupt"},     {"SIGQUIT", "quit"},
      {"SIGILL", "illegal instruction"}, {"SIGTRAP", "trace trap"},
      {"SIGABRT", "abort"},        {"SIGBUS", "bus error"},
      {"SIGFPE", "floating-point exception"}, {"SIGKILL", "killed"},
      {"SIGUSR1", "user signal 1"}, {"SIGSEGV", "segmentation fault"},
      {"SIGUSR2", "user signal 2"}, {"SIGPIPE", "broken pipe"},
      {"SIGALRM", "alarm clock"},  {"SIGTERM", "terminated"},
      {"SIGSTKFLT", "stack fault"}, {"SIGCHLD", "child status"},
      {"SIGCONT", "continue"},     {"SIGSTOP", "stopped"},
      {"SIGTSTP", "stopped (tty)"}, {"SIGTTIN", "tty input"},
      {"SIGTTOU", "tty output"},   {"SIGURG", "urgent I/O"},
      {"SIGXCPU", "CPU time limit"}, {"SIGXFSZ", "file size limit"},
      {"SIGVTALRM", "virtual alarm"}, {"SIGPROF", "profiling timer"},
      {"SIGWINCH", "window changed"}, {"SIGIO", "I/O possible"},
      {"SIGPWR", "power failure"}, {"SIGSYS", "bad system call"},
  };
  if (sig >= 0 && sig < 32) return kNames[sig];
  return {"SIGRT", "real-time signal"};
}

// Default action "ignore" (or stop/continue, which mean nothing here).
bool default_ignored(int sig) {
  switch (sig) {
    case 17: case 18: case 19: case 20: case 21: case 22: case 23: case 28:
      return true;
    default:
      return false;
  }
}

[[noreturn]] void die(int sig, const SyscallFrame& f) {
  SignalName n = signal_name(sig);
  static char msg[64];
  size_t len = 0;
  auto append = [&](const char* s) {
    size_t l = strlen(s);
    if (len + l >= sizeof(msg)) l = sizeof(msg) - 1 - len;
    memcpy(msg + len, s, l);
    len += l;
  };
  append(n.name);
  append(" (");
  append(n.what);
  append(")");
  shoal::abi::HcReport report{};
  report.kind = static_cast<uint32_t>(shoal::abi::ReportKind::signal);
  report.status = 128 + sig;
  report.message = reinterpret_cast<uint64_t>(msg);
  report.message_len = len;
  report.has_regs = 1;
  auto& r = report.regs;
  r.rax = f.nr;
  r.rbx = f.rbx;
  r.rcx = f.rcx;
  r.rdx = f.rdx;
  r.rsi = f.rsi;
  r.rdi = f.rdi;
  r.rbp = f.rbp;
  r.rsp = f.site_rsp();
  r.r8 = f.r8;
  r.r9 = f.r9;
  r.r10 = f.r10;
  r.r11 = f.r11;
  r.r12 = f.r12;
  r.r13 = f.r13;
  r.r14 = f.r14;
  r.r15 = f.r15;
  r.rip = f.user_rip();
  r.rflags = 0x202;
  r.fs_base = cpu::rdfsbase();
  hypercall(shoal::abi::Hypercall::report, &report);
  __builtin_unreachable();
}

// Runs the program's handler on its own stack, below the red zone of the
// system-call site. Nested system calls from the handler get a kernel stack
// region below ours (the thread's kstack_top is lowered meanwhile).
void run_handler(int sig, const lk::KSigaction& act, int code, const SyscallFrame& f) {
  sched::Thread* t = sched::current();
  // user_rsp is below the red zone and holds the return address of the
  // system call: everything for the handler goes below it.
  uint64_t sp = f.user_rsp;
  sp -= 1024;  // ucontext_t (zeroed: no sigreturn context is offered)
  uint64_t uc = sp & ~uint64_t{15};
  sp = uc - sizeof(lk::Siginfo);
  sp &= ~uint64_t{15};
  uint64_t info = sp;
  memset(reinterpret_cast<void*>(uc), 0, 1024);
  auto* si = reinterpret_cast<lk::Siginfo*>(info);
  memset(si, 0, sizeof(*si));
  si->signo = sig;
  si->code = code;
  si->pid = 1;
  sp -= 16;  // so the handler sees rsp+8 16-byte aligned, as after a call

  uint64_t saved_mask = t->sigmask;
  t->sigmask |= act.mask & ~kUnblockable;
  if ((act.flags & SA_NODEFER) == 0) t->sigmask |= bit(sig);
  if ((act.flags & SA_RESETHAND) != 0) g_actions[sig].handler = SIG_DFL;

  // The handler may clobber vector registers the interrupted code still owns.
  void* xmem = kmalloc(sched::xsave_size() + 64);
  auto* xs = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(xmem) + 63) & ~uintptr_t{63});
  if (xmem != nullptr) {
    memset(xs, 0, sched::xsave_size());
    cpu::xsave(xs, sched::xsave_mask());
  }
  uint64_t here = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
  uint64_t saved_top = t->kstack_top;
  uint64_t outer_saved = t->handler_saved_top, outer_sp = t->handler_user_sp;
  if (outer_saved == 0) {
    t->handler_saved_top = saved_top;
    t->handler_user_sp = sp & ~uint64_t{15};
  }
  t->kstack_top = (here - 512) & ~uint64_t{15};
  shoal_kstack_top = t->kstack_top;
  shoal_call_on_stack(act.handler, static_cast<uint64_t>(sig), info, uc, sp & ~uint64_t{15});
  t->kstack_top = saved_top;
  shoal_kstack_top = saved_top;
  t->handler_saved_top = outer_saved;
  t->handler_user_sp = outer_sp;
  if (xmem != nullptr) {
    cpu::xrstor(xs, sched::xsave_mask());
    kfree(xmem);
  }
  t->sigmask = saved_mask;
}

// Delivers sig to the current thread now, or marks it pending if blocked.
void deliver(int sig, int code, const SyscallFrame& f) {
  sched::Thread* t = sched::current();
  if ((t->sigmask & bit(sig)) != 0 && (bit(sig) & kUnblockable) == 0) {
    g_pending |= bit(sig);
    return;
  }
  const lk::KSigaction act = g_actions[sig];
  if (act.handler == SIG_IGN) return;
  if (act.handler == SIG_DFL) {
    if (default_ignored(sig)) return;
    die(sig, f);
  }
  run_handler(sig, act, code, f);
}

void deliver_pending(const SyscallFrame& f) {
  sched::Thread* t = sched::current();
  while (uint64_t ready = g_pending & ~t->sigmask) {
    int sig = __builtin_ctzll(ready) + 1;
    g_pending &= ~bit(sig);
    deliver(sig, SI_TKILL, f);
  }
}

long send_to_self(int sig, int code, const SyscallFrame& f) {
  if (sig < 0 || sig > kSignals) return -EINVAL;
  if (sig == 0) return 0;
  deliver(sig, code, f);
  return 0;
}

}  // namespace

void signal_check_escape(SyscallFrame& f) {
  sched::Thread* t = sched::current();
  if (f.user_rsp > t->handler_user_sp) {
    // The program left a handler without returning (siglongjmp): this
    // system call already runs on the lowered stack, the next ones won't.
    t->kstack_top = t->handler_saved_top;
    shoal_kstack_top = t->kstack_top;
    t->handler_saved_top = 0;
    t->handler_user_sp = 0;
  }
}

long sys_rt_sigaction(int sig, const lk::KSigaction* act, lk::KSigaction* oact, size_t sigsetsize) {
  if (sigsetsize != 8) return -EINVAL;
  if (sig < 1 || sig > kSignals) return -EINVAL;
  if (act != nullptr && (sig == SIGKILL || sig == SIGSTOP)) return -EINVAL;
  lk::KSigaction fresh{};
  if (act != nullptr) {
    if (!user_readable(act, sizeof(*act))) return -EFAULT;
    fresh = *act;
  }
  if (oact != nullptr) {
    if (!user_writable(oact, sizeof(*oact))) return -EFAULT;
    *oact = g_actions[sig];
  }
  if (act != nullptr) {
    g_actions[sig] = fresh;
    if (fresh.handler == SIG_IGN) g_pending &= ~bit(sig);
  }
  return 0;
}

long sys_rt_sigprocmask(SyscallFrame& f) {
  int how = static_cast<int>(f.rdi);
  auto* set = reinterpret_cast<const uint64_t*>(f.rsi);
  auto* oset = reinterpret_cast<uint64_t*>(f.rdx);
  if (f.r10 != 8) return -EINVAL;
  sched::Thread* t = sched::current();
  uint64_t fresh = t->sigmask;
  if (set != nullptr) {
    if (!user_readable(set, 8)) return -EFAULT;
    switch (how) {
      case 0: fresh |= *set; break;   // SIG_BLOCK
      case 1: fresh &= ~*set; break;  // SIG_UNBLOCK
      case 2: fresh = *set; break;    // SIG_SETMASK
      default: return -EINVAL;
    }
  }
  if (oset != nullptr) {
    if (!user_writable(oset, 8)) return -EFAULT;
    *oset = t->sigmask;
  }
  t->sigmask = fresh & ~kUnblockable;
  deliver_pending(f);
  return 0;
}

long sys_rt_sigreturn() { return -ENOSYS; }  // handlers return to the LibOS directly

long sys_rt_sigpending(uint64_t* set, size_t sigsetsize) {
  if (sigsetsize > 8) return -EINVAL;
  if (!user_writable(set, sigsetsize)) return -EFAULT;
  uint64_t pending = g_pending & sched::current()->sigmask;
  memcpy(set, &pending, sigsetsize);
  return 0;
}

long sys_sigaltstack(const lk::Stack* ss, lk::Stack* old) {
  // Accepted and reported as disabled: handlers run on the current stack.
  if (old != nullptr) {
    if (!user_writable(old, sizeof(*old))) return -EFAULT;
    *old = {};
    old->flags = 2;  // SS_DISABLE
  }
  if (ss != nullptr && !user_readable(ss, sizeof(*ss))) return -EFAULT;
  return 0;
}

long sys_kill(SyscallFrame& f) {
  int pid = static_cast<int>(f.rdi);
  int sig = static_cast<int>(f.rsi);
  if (pid != 0 && pid != 1 && pid != -1) return -ESRCH;
  return send_to_self(sig, SI_USER, f);
}

long sys_tkill(SyscallFrame& f) {
  int tid = static_cast<int>(f.rdi);
  int sig = static_cast<int>(f.rsi);
  if (tid <= 0) return -EINVAL;
  if (sched::find(tid) == nullptr) return -ESRCH;
  // Only the calling thread can take a signal synchronously; another thread
  // gets it as if it were the caller (one address space, one process).
  return send_to_self(sig, SI_TKILL, f);
}

long sys_tgkill(SyscallFrame& f) {
  int tgid = static_cast<int>(f.rdi);
  int tid = static_cast<int>(f.rsi);
  int sig = static_cast<int>(f.rdx);
  if (tgid <= 0 || tid <= 0) return -EINVAL;
  if (tgid != 1 || sched::find(tid) == nullptr) return -ESRCH;
  return send_to_self(sig, SI_TKILL, f);
}
