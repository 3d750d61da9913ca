// Signal state shared by the signal system calls (signal.cpp), delivery
// (signal_deliver.cpp), interval timers (itimer.cpp), the dispatcher and the
// scheduler. One process: actions and the process-wide pending set are
// global; masks, thread-directed pending signals and alternate stacks live in
// sched::Thread.
//
// A signal is taken at a system call's exit (the dispatcher calls
// signal_deliver when signal_attention() says so), where a handler interrupts
// the SyscallFrame; or, with a FaultContext holding every register, for a CPU
// fault (signal_fault.cpp) and at the end of a time slice in program code
// (asynchronous signals, sched/preempt.hpp).
#pragma once

#include <stdint.h>

#include "core/errno.hpp"  // waits that a signal interrupts return -EINTR
#include "sched/host_signal.hpp"
#include "sched/preempt.hpp"
#include "sched/thread.hpp"
#include "arch/x86_64/syscall_frame.hpp"
#include "uapi/signal.hpp"
#include <shoal/abi/hypercall.h>

namespace libos {

inline constexpr int kSignals = 64;  // the kernel's _NSIG: signals 1..64
// signal_post's code when signal_set_info already stored the siginfo.
inline constexpr int kSiPreset = -0x7fffffff;

inline uint64_t sig_bit(int sig) { return uint64_t{1} << (sig - 1); }
inline constexpr uint64_t kUnblockable = (uint64_t{1} << (uapi::SIGKILL - 1)) | (uint64_t{1} << (uapi::SIGSTOP - 1));

extern uapi::KSigaction g_sig_actions[kSignals + 1];
extern uint64_t g_sig_pending;      // process-directed, not yet taken
extern uint64_t g_timer_deadline;   // earliest armed timer (monotonic ns) or kNoDeadline

// Signals t could take now.
inline uint64_t sig_deliverable(const sched::Thread* t) {
  return (g_sig_pending | t->sigpending) & ~t->sigmask;
}

// Marks sig pending for the process (target == nullptr) or one thread, with
// the si_code it will carry (kSiPreset: as set by signal_set_info), and
// wakes a thread that can take it. A signal
// whose action is to terminate ends the instance at once.
void signal_post(int sig, int code, sched::Thread* target);
// The siginfo the pending instance of sig carries (signal_deliver.cpp).
void signal_set_info(int sig, int code, int32_t timer, int64_t value);
int signal_info_code(int sig);

// Called by the scheduler with the time: fires due timers (signal_post) and
// returns the next timer deadline (kNoDeadline: none armed).
uint64_t signal_timers_run(uint64_t now);
// In a forked child: interval timers, alarm() and POSIX timers are not
// inherited (Linux's fork), so none is armed.
void timers_reset_after_fork();

// True when the dispatcher must call signal_deliver before returning.
inline bool signal_attention() {
  // A slice ended while this thread was in the LibOS (sched/preempt.hpp).
  if (shoal_preempt_area.pending != 0) return true;
  // A signal sent to the monitor for the program (sched/host_signal.hpp).
  if (host_signals_new()) return true;
  sched::Thread* t = sched::current();
  if (sig_deliverable(t) != 0) return true;
  // An armed timer: signal_deliver reads the clock (one rdtsc) to see if it
  // is due; programs without timers never pay for it.
  return g_timer_deadline != sched::kNoDeadline;
}

// Takes every deliverable signal on the way out of a system call that
// returned result; returns the value rax must get. May run handlers.
// *restart: in, whether this call may be restarted (SA_RESTART); out, whether
// it must be.
long signal_deliver(SyscallFrame& frame, long result, bool* restart);

// The most stack a signal frame takes below the interrupted stack pointer
// (red zone, xsave area, rt_sigframe, alignment): AT_MINSIGSTKSZ.
size_t signal_frame_bytes();

// A synchronous CPU fault of program code on its way to a handler
// (signal_fault.cpp): the full register set the monitor recorded, which
// rt_sigreturn updates, and the siginfo/sigcontext facts.
struct FaultContext {
  shoal::abi::GuestRegs regs;
  int code;            // si_code
  uint64_t addr;       // si_addr
  uint64_t trapno, error, cr2;
  bool async;          // an asynchronous signal taken at a preemption: siginfo as for kill
};

// Runs the handler of sig for a fault; f holds the fault's general-purpose
// registers (its user_rsp is unused). Returns once the handler returned
// through rt_sigreturn, with fault.regs as the ucontext left them.
long signal_deliver_fault(int sig, SyscallFrame& f, FaultContext& fault);

// Takes every deliverable signal for a thread interrupted in program code
// (a preemption), running handlers with ctx as the interrupted state.
void signal_deliver_async(SyscallFrame& f, FaultContext& ctx);

// Registers the fault upcall with the monitor if not yet done (one exit);
// false if the monitor refused it.
bool signal_fault_register_upcall();

// The fault handed to the upcall is not handled: the monitor prints its
// report of it and ends the instance.
[[noreturn]] void signal_fault_unhandled();

// Called when the program installs a handler for sig: for the fault signals,
// registers the fault upcall with the monitor (once; one hypercall).
void signal_fault_register(int sig);

// signal_check_escape for a program stack pointer sp.
void signal_check_escape_at(uint64_t sp);

// Ends the instance as Linux's default action for sig would.
[[noreturn]] void signal_die(int sig, const SyscallFrame* frame);

// Whether the default action of sig is to do nothing.
bool signal_default_ignored(int sig);

}  // namespace libos
