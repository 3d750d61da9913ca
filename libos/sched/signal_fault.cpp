// Synchronous faults of program code become signals, as on Linux (issue 11,
// point 2; docs/architecture.md, "Faults reach the program").
//
// A CPU exception goes through the IDT to the monitor's ring-0 stub and exits
// to the monitor. Once this file has registered the upcall (the first time
// the program installs a handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL or
// SIGTRAP, so programs without one pay nothing, not even at boot), the
// monitor writes the program's registers and the exception into
// shoal_fault_record and resumes the vCPU in ring 3 at shoal_fault_upcall
// (arch/x86_64/fault_upcall.S), which switches to the thread's kernel stack
// and calls shoal_fault_dispatch below. That builds the siginfo Linux would,
// runs the handler through the ordinary delivery code (signal_deliver.cpp,
// with a FaultContext) and resumes the program with every register as the
// handler left the ucontext. If the action is the default (or "ignore",
// which Linux overrides for a fault), or the signal is blocked (a handler
// that faults again), the monitor prints the crash report of the fault it
// recorded, as it did before. One exit per fault.
#include "arch/x86_64/cpu.hpp"
#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "mm/page_alloc.hpp"
#include "mm/window.hpp"
#include "sched/preempt.hpp"
#include "sched/signal_state.hpp"
#include "sched/thread.hpp"

extern "C" {
// Written by the monitor before it enters shoal_fault_upcall; only read here.
alignas(8) shoal::abi::FaultUpcall shoal_fault_record;
void shoal_fault_upcall();
[[noreturn]] void shoal_fault_resume(const shoal::abi::GuestRegs* regs);
[[noreturn]] void shoal_fault_dispatch();
}

namespace libos {

namespace {

bool g_upcall_registered = false;

// Linux's si_code values for faults (asm-generic/siginfo.h).
constexpr int kIllIllopn = 2, kFpeIntdiv = 1, kFpeFltdiv = 3, kFpeFltovf = 4, kFpeFltund = 5,
              kFpeFltres = 6, kFpeFltinv = 7, kSegvMaperr = 1, kSegvAccerr = 2, kBusAdraln = 1,
              kTrapTrace = 2;

struct FaultSignal {
  int sig;
  int code;
  uint64_t addr;
};

// The si_code of a SIMD (#XM) or x87 (#MF) exception from the unmasked
// exception flags, as Linux's fpu__exception_code.
int fp_code(uint32_t flags) {
  if (flags & 1) return kFpeFltinv;
  if (flags & 4) return kFpeFltdiv;
  if (flags & 8) return kFpeFltovf;
  if (flags & 16) return kFpeFltund;
  if (flags & 32) return kFpeFltres;
  return 0;
}

// What Linux sends for each exception (arch/x86/kernel/traps.c, fault.c).
FaultSignal classify(const shoal::abi::FaultUpcall& r) {
  using namespace uapi;
  uint64_t rip = r.regs.rip;
  switch (r.vector) {
    case 0: return {SIGFPE, kFpeIntdiv, rip};
    case 1: return {SIGTRAP, kTrapTrace, rip};
    case 3: return {SIGTRAP, SI_KERNEL, 0};
    case 6: return {SIGILL, kIllIllopn, rip};
    case 11: case 12: return {SIGBUS, SI_KERNEL, 0};
    // An absent page of a mapping (PROT_NONE, a guard page) is an access
    // error on Linux, as a present page written: only an address outside
    // every mapping is a mapping error.
    case 14: {
      uint64_t page = r.cr2 & ~uint64_t{0xfff};
      bool mapped = (r.error & 1) != 0 || mm::window::is_reserved(page, 0x1000) || mm::is_mapped(page, 0x1000);
      return {SIGSEGV, mapped ? kSegvAccerr : kSegvMaperr, r.cr2};
    }
    case 16: {
      uint16_t sw = 0, cw = 0;
      asm volatile("fnstsw %0; fnstcw %1" : "=m"(sw), "=m"(cw));
      return {SIGFPE, fp_code(sw & ~cw & 0x3f), rip};
    }
    case 17: return {SIGBUS, kBusAdraln, 0};
    case 19: {
      uint32_t mxcsr = 0;
      asm volatile("stmxcsr %0" : "=m"(mxcsr));
      return {SIGFPE, fp_code(mxcsr & ~(mxcsr >> 7) & 0x3f), rip};
    }
    default: return {SIGSEGV, SI_KERNEL, 0};  // #GP, #BR, #OF
  }
}

void frame_from(SyscallFrame& f, const shoal::abi::GuestRegs& r) {
  f = SyscallFrame{};
  f.nr = ~uint64_t{0};
  f.rdi = r.rdi, f.rsi = r.rsi, f.rdx = r.rdx, f.r10 = r.r10, f.r8 = r.r8, f.r9 = r.r9;
  f.rbx = r.rbx, f.rbp = r.rbp, f.r12 = r.r12, f.r13 = r.r13, f.r14 = r.r14, f.r15 = r.r15;
  f.rcx = r.rcx, f.r11 = r.r11;
}

[[noreturn]] void resume(FaultContext& ctx) {
  // Only the flags a program may set (Linux's FIX_EFLAGS, without TF: a
  // single step would trap inside shoal_fault_resume).
  ctx.regs.rflags = (ctx.regs.rflags & 0x40cd5) | 0x202;
  shoal_fault_resume(&ctx.regs);
}

// The slice of the current thread ended in program code: let the others run,
// then take the asynchronous signals that wait for it (tgkill to a spinning
// thread, Go's SIGURG) before it goes on.
[[noreturn]] void preempted(FaultContext& ctx) {
  shoal_preempt_area.pending = 0;
  sched::yield();
  ctx.async = true;
  SyscallFrame f;
  frame_from(f, ctx.regs);
  signal_deliver_async(f, ctx);
  resume(ctx);
}

}  // namespace

bool signal_fault_register_upcall() {
  if (g_upcall_registered) return true;
  static shoal::abi::HcUpcall args;
  args.entry = reinterpret_cast<uint64_t>(&shoal_fault_upcall);
  args.record = reinterpret_cast<uint64_t>(&shoal_fault_record);
  hypercall(shoal::abi::Hypercall::upcall, &args);
  g_upcall_registered = args.result == 0;
  return g_upcall_registered;
}

void signal_fault_register(int sig) {
  // The fault signals, and the signals the monitor forwards from outside:
  // for those the monitor enters the upcall to interrupt program code that
  // makes no system call (a busy loop still sees SIGTERM).
  bool forwarded = sig > 0 && sig < 32 && (shoal::abi::kHostSignals & (1u << sig)) != 0;
  if (sig != uapi::SIGSEGV && sig != uapi::SIGBUS && sig != uapi::SIGFPE && sig != uapi::SIGILL &&
      sig != uapi::SIGTRAP && !forwarded)
    return;
  signal_fault_register_upcall();
}

[[noreturn]] void signal_fault_unhandled() {
  static shoal::abi::HcReport report;
  report.kind = static_cast<uint32_t>(shoal::abi::ReportKind::fault);
  report.status = 139;  // ignored: the monitor's own record decides
  hypercall(shoal::abi::Hypercall::report, &report);
  __builtin_unreachable();
}

}  // namespace libos

using namespace libos;

extern "C" [[noreturn]] void shoal_fault_dispatch() {
  // Copied first: a fault inside the handler overwrites the record.
  FaultContext ctx{};
  ctx.regs = shoal_fault_record.regs;
  ctx.trapno = shoal_fault_record.vector;
  ctx.error = shoal_fault_record.error;
  ctx.cr2 = shoal_fault_record.cr2;
  sched::Thread* t = sched::current();
  // A handler left by longjmp since the last system call is finished now.
  if (t->sig_record != nullptr) signal_check_escape_at(ctx.regs.rsp);
  if (ctx.trapno == shoal::abi::kPreemptVector) preempted(ctx);

  FaultSignal s = classify(shoal_fault_record);
  ctx.code = s.code;
  ctx.addr = s.addr;
  const uapi::KSigaction& act = g_sig_actions[s.sig];
  // Linux (force_sig_fault) kills when the signal is blocked or ignored.
  if (act.handler == uapi::SIG_DFL || act.handler == uapi::SIG_IGN || (t->sigmask & sig_bit(s.sig)) != 0)
    signal_fault_unhandled();

  SyscallFrame f;
  frame_from(f, ctx.regs);
  signal_deliver_fault(s.sig, f, ctx);
  resume(ctx);
}
