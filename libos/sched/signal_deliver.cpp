// Running a signal handler at a system call's exit, and rt_sigreturn.
//
// The handler gets a Linux-shaped rt_sigframe on the program's stack (or its
// alternate stack): [rsp] = the restorer (glibc's __restore_rt, or ours when
// SA_RESTORER is clear), then the ucontext (registers of the interrupted
// system-call site, the old mask, the alternate-stack settings, a pointer to
// the xsave image below) and the siginfo. The handler runs in ring 3 like any
// program code; its own system calls use the kernel stack below ours (the
// thread's kstack_top is lowered meanwhile). Returning through the restorer
// calls rt_sigreturn, which copies the (possibly edited) ucontext back into
// the interrupted SyscallFrame and jumps back to run_handler on this kernel
// stack. A handler that leaves by siglongjmp is noticed at the next system
// call made from outside its frame (signal_check_escape).
//
// A synchronous fault (signal_fault.cpp) reuses all of this with a
// FaultContext: the interrupted state is then the full register set the
// monitor recorded at the fault (rax, r11 and rflags included), and
// rt_sigreturn copies the edited ucontext back into it.
#include "arch/x86_64/cpu.hpp"
#include "core/errno.hpp"
#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "sched/thread.hpp"
#include "sched/syscalls.hpp"
#include "sched/exec_threads.hpp"
#include "sched/signal_state.hpp"
#include "time/clock.hpp"
#include "uapi/signal.hpp"
#include "uapi/ucontext.hpp"

extern "C" {
extern uint64_t shoal_kstack_top;
void shoal_syscall_entry();
[[noreturn]] void shoal_enter_handler(uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t rsp);
void shoal_sigreturn_trampoline();
}

namespace libos {

namespace {

using uapi::Ucontext;

// Linux x86-64 struct rt_sigframe (the kernel's own, not in its uapi headers).
struct RtSigframe {
  uint64_t pretcode;
  Ucontext uc;
  uapi::Siginfo info;
};
// Where struct _fpx_sw_bytes sits in fpstate: its sw_reserved bytes (asm/sigcontext.h).
constexpr size_t kFpxSwBytesOffset = 464;

// One running handler; lives in run_handler's frame on the kernel stack.
struct SigRecord {
  void* jump[5];               // __builtin_setjmp buffer
  SyscallFrame* frame;         // the interrupted system call
  Ucontext* uc;
  uint8_t* xsave;
  uint64_t saved_top;          // kstack_top before the handler
  uint64_t stack_lo, stack_hi; // the handler's user stack range (escape test)
  long result;
  SigRecord* outer;
  FaultContext* fault;         // set when the handler runs for a CPU fault
  uint64_t shown_rip;          // the rip the ucontext showed (system calls)
  bool redirected;             // rt_sigreturn resumes elsewhere: no restart
};

// Per-signal siginfo of the pending instance (one instance per signal).
int g_info_code[kSignals + 1];
int64_t g_info_value[kSignals + 1];
int32_t g_info_tid[kSignals + 1];

// Where Linux would show the interrupted system call: rip just after its
// `syscall` instruction. A rewritten site (abi/syscall.h) returns into its
// stub, `lea -128(%rsp),%rsp; call shoal_syscall_entry; <displaced>; jmp
// end`; when nothing was displaced after the `syscall` (the rewriter's first
// choice), the `jmp` follows the call at once and its target is the address
// after the original instruction. With instructions displaced after it, no
// program address corresponds: false, and the stub's address is shown as
// before. A site the rewriter left (the ring-0 bounce) returns to the real
// address already.
bool syscall_pc_after(uint64_t ret, uint64_t* after) {
  static const uint8_t kLea[] = {0x48, 0x8d, 0x64, 0x24, 0x80};
  auto* p = reinterpret_cast<const uint8_t*>(ret);
  *after = ret;
  if (ret < 10 || !user_readable(p - 10, 15)) return true;
  int32_t rel;
  memcpy(&rel, p - 4, 4);
  if (memcmp(p - 10, kLea, sizeof kLea) != 0 || p[-5] != 0xe8 ||
      ret + static_cast<int64_t>(rel) != reinterpret_cast<uint64_t>(&shoal_syscall_entry))
    return true;  // not a stub: the real address
  if (p[0] != 0xe9) return false;
  memcpy(&rel, p + 1, 4);
  *after = ret + 5 + static_cast<int64_t>(rel);
  return true;
}

bool on_altstack(const sched::Thread* t, uint64_t sp) {
  return t->altstack_flags != uapi::SS_DISABLE && sp > t->altstack_sp && sp - t->altstack_sp <= t->altstack_size;
}

// restarting: the system call will be restarted after the handler (Linux
// then shows rip at the `syscall` instruction and rax = the call's number).
long run_handler(int sig, const uapi::KSigaction& act, SyscallFrame& f, long result,
                 FaultContext* fault = nullptr, bool restarting = false, bool* redirected = nullptr) {
  sched::Thread* t = sched::current();
  uint64_t site = fault != nullptr ? fault->regs.rsp : f.site_rsp();
  // Below the red zone (and, for a system call, the return address of the
  // system-call stub).
  uint64_t sp = fault != nullptr ? site - 128 : f.user_rsp;
  uint64_t lo = 0;  // the handler's stack range, for signal_check_escape
  if ((act.flags & uapi::SA_ONSTACK) != 0 && t->altstack_flags != uapi::SS_DISABLE && !on_altstack(t, site)) {
    sp = t->altstack_sp + t->altstack_size;
    lo = t->altstack_sp;
  } else if (on_altstack(t, site)) {
    lo = t->altstack_sp;
  }
  uint64_t top = sp;
  // The fpstate is a whole xsave area of the size threads use (it covers
  // XCR0, sched::init checks that) and Linux's FP_XSTATE_MAGIC2 after it.
  size_t xsize = sched::xsave_size();
  sp = (sp - xsize - sizeof(uint32_t)) & ~uint64_t{63};
  auto* xs = reinterpret_cast<uint8_t*>(sp);
  sp = ((sp - sizeof(RtSigframe)) & ~uint64_t{15}) - 8;
  auto* frame = reinterpret_cast<RtSigframe*>(sp);
  if ((lo != 0 && sp < lo) || !user_writable(frame, top - sp)) {
    // No room for the frame: Linux forces SIGSEGV. For a fault (a stack
    // overflow without an alternate stack) the fault's own report says more.
    if (fault != nullptr) signal_fault_unhandled();
    signal_die(uapi::SIGSEGV, &f);
  }
  memset(xs, 0, xsize + sizeof(uint32_t));
  cpu::xsave(xs, sched::xsave_mask());
  // Linux's struct _fpx_sw_bytes in the FXSAVE image's software-reserved
  // bytes (XSAVE leaves them alone): says the frame holds an xsave image of
  // which components and how big, for programs that walk it.
  uapi::FpxSwBytes sw{};
  sw.magic1 = uapi::FP_XSTATE_MAGIC1;
  sw.extended_size = static_cast<uint32_t>(xsize + sizeof(uint32_t));
  sw.xfeatures = sched::xsave_mask();
  sw.xstate_size = static_cast<uint32_t>(xsize);
  memcpy(xs + kFpxSwBytesOffset, &sw, sizeof sw);
  uint32_t magic2 = uapi::FP_XSTATE_MAGIC2;
  memcpy(xs + xsize, &magic2, sizeof magic2);
  memset(frame, 0, sizeof(*frame));
  frame->pretcode = (act.flags & uapi::SA_RESTORER) != 0 && act.restorer != 0
                        ? act.restorer
                        : reinterpret_cast<uint64_t>(&shoal_sigreturn_trampoline);
  Ucontext& uc = frame->uc;
  uc.flags = uapi::UC_FP_XSTATE | uapi::UC_SIGCONTEXT_SS;
  uc.stack.sp = t->altstack_sp;
  uc.stack.size = t->altstack_size;
  uc.stack.flags = t->altstack_flags == uapi::SS_DISABLE
                       ? uapi::SS_DISABLE
                       : (on_altstack(t, site) ? uapi::SS_ONSTACK : 0) | (t->altstack_flags & uapi::SS_AUTODISARM);
  uapi::Sigcontext& mc = uc.mc;
  mc.r8 = f.r8, mc.r9 = f.r9, mc.r10 = f.r10, mc.r11 = f.r11;
  mc.r12 = f.r12, mc.r13 = f.r13, mc.r14 = f.r14, mc.r15 = f.r15;
  mc.rdi = f.rdi, mc.rsi = f.rsi, mc.rbp = f.rbp, mc.rbx = f.rbx, mc.rdx = f.rdx;
  mc.rax = static_cast<uint64_t>(result), mc.rcx = f.rcx;
  if (fault != nullptr) {
    mc.rax = fault->regs.rax, mc.r11 = fault->regs.r11;
    mc.rsp = site, mc.rip = fault->regs.rip, mc.eflags = fault->regs.rflags;
    mc.trapno = fault->trapno, mc.err = fault->error, mc.cr2 = fault->cr2;
  } else {
    uint64_t after;
    if (syscall_pc_after(f.user_rip(), &after)) {
      mc.rip = restarting ? after - 2 : after;
      if (restarting) mc.rax = f.nr;
    } else {
      mc.rip = f.user_rip();
    }
    mc.rsp = site, mc.eflags = 0x202;
  }
  mc.cs = 0x33, mc.ss = 0x2b;
  mc.oldmask = t->in_suspend ? t->suspend_mask : t->sigmask;
  mc.fpstate = reinterpret_cast<uint64_t>(xs);
  uc.sigmask = mc.oldmask;
  uapi::Siginfo& si = frame->info;
  si.signo = sig;
  si.code = g_info_code[sig];
  if (fault != nullptr && !fault->async) {
    // _sigfault: si_addr, where si_pid would be.
    si.code = fault->code;
    memcpy(&si.pid, &fault->addr, sizeof(uint64_t));
  } else if (si.code == uapi::SI_TIMER) {
    // _timer: si_tid, si_overrun, then the sigval.
    si.pid = g_info_tid[sig];
    memcpy(si.rest, &g_info_value[sig], sizeof(int64_t));
  } else if (si.code <= 0) {
    si.pid = 1;  // sent by this process (kill, tgkill, raise, sigqueue)
    si.uid = 0;
    if (si.code == uapi::SI_QUEUE) memcpy(si.rest, &g_info_value[sig], sizeof(int64_t));
  }

  // Mask during the handler; SA_RESETHAND restores the default first.
  uint64_t mask = t->sigmask | act.mask;  // in rt_sigsuspend: its temporary mask
  if ((act.flags & uapi::SA_NODEFER) == 0) mask |= sig_bit(sig);
  t->sigmask = mask & ~kUnblockable;
  t->in_suspend = false;
  if ((act.flags & uapi::SA_RESETHAND) != 0) g_sig_actions[sig].handler = uapi::SIG_DFL;
  if (lo != 0 && top == t->altstack_sp + t->altstack_size && (t->altstack_flags & uapi::SS_AUTODISARM) != 0) {
    // SS_AUTODISARM: disarmed while the handler runs; rt_sigreturn re-arms
    // it from uc_stack, as Linux does.
    t->altstack_sp = 0;
    t->altstack_size = 0;
    t->altstack_flags = uapi::SS_DISABLE;
  }

  SigRecord rec{};
  rec.frame = &f;
  rec.uc = &uc;
  rec.xsave = xs;
  rec.saved_top = t->kstack_top;
  rec.stack_lo = lo;
  rec.stack_hi = top;
  rec.result = result;
  rec.outer = static_cast<SigRecord*>(t->sig_record);
  rec.fault = fault;
  rec.shown_rip = mc.rip;
  if (__builtin_setjmp(rec.jump) == 0) {
    t->sig_record = &rec;
    uint64_t here = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
    t->kstack_top = (here - 512) & ~uint64_t{15};
    shoal_kstack_top = t->kstack_top;
    shoal_enter_handler(act.handler, static_cast<uint64_t>(sig), reinterpret_cast<uint64_t>(&si),
                        reinterpret_cast<uint64_t>(&uc), sp);
  }
  // Back from rt_sigreturn (which has restored the frame and the mask).
  t = sched::current();
  t->kstack_top = rec.saved_top;
  shoal_kstack_top = rec.saved_top;
  t->sig_record = rec.outer;
  if (redirected != nullptr) *redirected = rec.redirected;
  return rec.result;
}

}  // namespace

size_t signal_frame_bytes() {
  // As run_handler lays it out: red zone, xsave + magic (64-aligned), the
  // frame (16-aligned, then the return address slot).
  return 128 + sched::xsave_size() + sizeof(uint32_t) + 63 + sizeof(RtSigframe) + 15 + 8;
}

int signal_info_code(int sig) { return g_info_code[sig]; }

void signal_set_info(int sig, int code, int32_t timer, int64_t value) {
  g_info_code[sig] = code;
  g_info_tid[sig] = timer;
  g_info_value[sig] = value;
}

long signal_deliver_fault(int sig, SyscallFrame& f, FaultContext& fault) {
  const uapi::KSigaction act = g_sig_actions[sig];
  return run_handler(sig, act, f, static_cast<long>(fault.regs.rax), &fault);
}

void signal_deliver_async(SyscallFrame& f, FaultContext& ctx) {
  sched::Thread* t = sched::current();
  if (__builtin_expect(t->exec_doomed, 0)) sched::exit_doomed();
  if (g_timer_deadline != sched::kNoDeadline) signal_timers_run(monotonic_ns());
  host_signals_take();
  while (uint64_t ready = sig_deliverable(t)) {
    int sig = __builtin_ctzll(ready) + 1;
    if ((t->sigpending & sig_bit(sig)) != 0) {
      t->sigpending &= ~sig_bit(sig);
    } else {
      g_sig_pending &= ~sig_bit(sig);
    }
    const uapi::KSigaction act = g_sig_actions[sig];
    if (act.handler == uapi::SIG_IGN) continue;
    if (act.handler == uapi::SIG_DFL) {
      if (signal_default_ignored(sig)) continue;
      signal_die(sig, nullptr);
    }
    ctx.regs.rax = static_cast<uint64_t>(run_handler(sig, act, f, static_cast<long>(ctx.regs.rax), &ctx));
    t = sched::current();
  }
}

long signal_deliver(SyscallFrame& f, long result, bool* restart) {
  bool may_restart = *restart;
  sched::Thread* t = sched::current();
  if (shoal_preempt_area.pending != 0) {
    // The slice ended inside the LibOS: switch now, on the way out.
    shoal_preempt_area.pending = 0;
    sched::yield();
    t = sched::current();
  }
  if (__builtin_expect(t->exec_doomed, 0)) sched::exit_doomed();
  if (g_timer_deadline != sched::kNoDeadline) signal_timers_run(monotonic_ns());
  host_signals_take();
  *restart = false;
  bool interrupted = result == -EINTR;
  while (uint64_t ready = sig_deliverable(t)) {
    int sig = __builtin_ctzll(ready) + 1;
    if ((t->sigpending & sig_bit(sig)) != 0) {
      t->sigpending &= ~sig_bit(sig);
    } else {
      g_sig_pending &= ~sig_bit(sig);
    }
    const uapi::KSigaction act = g_sig_actions[sig];
    if (act.handler == uapi::SIG_IGN) continue;
    if (act.handler == uapi::SIG_DFL) {
      if (signal_default_ignored(sig)) continue;
      signal_die(sig, &f);
    }
    bool restarting = interrupted && (act.flags & uapi::SA_RESTART) != 0;
    if (restarting) *restart = true;
    bool redirected = false;
    result = run_handler(sig, act, f, result, nullptr, restarting && may_restart, &redirected);
    if (redirected) {
      // The handler chose where to resume (musl's thread cancellation
      // moves rip to __cp_cancel): the call is over, rax is the handler's.
      *restart = false;
      interrupted = false;
    }
    t = sched::current();
  }
  if (t->in_suspend) {
    t->sigmask = t->suspend_mask;
    t->in_suspend = false;
  }
  return result;
}

}  // namespace libos

using namespace libos;

void signal_check_escape(SyscallFrame& f) { libos::signal_check_escape_at(f.site_rsp()); }

void libos::signal_check_escape_at(uint64_t sp) {
  sched::Thread* t = sched::current();
  auto* rec = static_cast<SigRecord*>(t->sig_record);
  SigRecord* left = nullptr;
  // A system call from outside a handler's stack range means the program
  // left that handler (and all inner ones) without returning.
  while (rec != nullptr && (sp >= rec->stack_hi || sp < rec->stack_lo)) {
    left = rec;
    rec = rec->outer;
  }
  if (left == nullptr) return;
  t->sig_record = rec;
  // This call already runs on the lowered stack; later ones start higher.
  t->kstack_top = left->saved_top;
  shoal_kstack_top = t->kstack_top;
}

long sys_rt_sigreturn(SyscallFrame& f) {
  sched::Thread* t = sched::current();
  auto* rec = static_cast<SigRecord*>(t->sig_record);
  if (rec == nullptr) signal_die(uapi::SIGSEGV, &f);  // no frame to return to: SIGSEGV
  Ucontext& uc = *rec->uc;
  uapi::Sigcontext& mc = uc.mc;
  SyscallFrame& o = *rec->frame;
  if (rec->fault != nullptr) {
    // Every register comes back, as the handler left it in the ucontext;
    // signal_fault_resume loads them (rflags only in its user-settable bits).
    shoal::abi::GuestRegs& r = rec->fault->regs;
    r.r8 = mc.r8, r.r9 = mc.r9, r.r10 = mc.r10, r.r11 = mc.r11;
    r.r12 = mc.r12, r.r13 = mc.r13, r.r14 = mc.r14, r.r15 = mc.r15;
    r.rdi = mc.rdi, r.rsi = mc.rsi, r.rbp = mc.rbp, r.rbx = mc.rbx, r.rdx = mc.rdx, r.rcx = mc.rcx;
    r.rax = mc.rax, r.rsp = mc.rsp, r.rip = mc.rip, r.rflags = mc.eflags;
    rec->result = static_cast<long>(mc.rax);
  } else {
  o.r8 = mc.r8, o.r9 = mc.r9, o.r10 = mc.r10, o.r11 = mc.r11;
  o.r12 = mc.r12, o.r13 = mc.r13, o.r14 = mc.r14, o.r15 = mc.r15;
  o.rdi = mc.rdi, o.rsi = mc.rsi, o.rbp = mc.rbp, o.rbx = mc.rbx, o.rdx = mc.rdx, o.rcx = mc.rcx;
  rec->result = static_cast<long>(mc.rax);
  if (mc.rsp != o.site_rsp() || mc.rip != rec->shown_rip) {
    rec->redirected = true;
    // The handler edited where to resume: `ret $128` pops rip at user_rsp.
    uint64_t slot = mc.rsp - 136;
    if (!user_writable(reinterpret_cast<void*>(slot), 8)) signal_die(uapi::SIGSEGV, &f);
    *reinterpret_cast<uint64_t*>(slot) = mc.rip;
    o.user_rsp = slot;
  }
  }
  cpu::xrstor(rec->xsave, sched::xsave_mask());
  t->sigmask = uc.sigmask & ~kUnblockable;
  // Linux restores the alternate stack from uc_stack (errors ignored).
  int ss_mode = uc.stack.flags & ~(uapi::SS_AUTODISARM | uapi::SS_ONSTACK);
  if (ss_mode == uapi::SS_DISABLE) {
    t->altstack_sp = 0;
    t->altstack_size = 0;
    t->altstack_flags = uapi::SS_DISABLE;
  } else if (ss_mode == 0 && uc.stack.size >= 2048) {
    t->altstack_sp = uc.stack.sp;
    t->altstack_size = uc.stack.size;
    t->altstack_flags = uc.stack.flags & uapi::SS_AUTODISARM;
  }
  __builtin_longjmp(rec->jump, 1);
}

