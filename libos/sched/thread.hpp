// Green threads on the one vCPU. A thread runs until it makes a system call
// that blocks, sleeps, yields or exits, or until its time slice ends
// (sched/preempt.hpp: the monitor interrupts program code). Each
// thread has its own kernel stack (system calls run on it) and its own
// extended state (xsave area), fs/gs base and signal mask.
#pragma once

#include <shoal/abi/boot.h>

#include <stddef.h>
#include <stdint.h>

namespace libos::sched {

inline constexpr uint64_t kNoDeadline = ~uint64_t{0};
inline constexpr size_t kKernelStackSize = 64 * 1024;

enum class ThreadState : uint8_t { runnable, blocked, dead };

struct Thread {
  uint64_t saved_rsp;        // kernel rsp while switched out
  uint64_t kstack_top;       // where shoal_syscall_entry puts its frame
  void* kstack_mem;          // kmalloc'd; nullptr for the boot stack
  void* xsave_mem;           // kmalloc'd, xsave is its 64-byte aligned inside
  uint8_t* xsave;
  uint64_t fs_base;
  uint64_t gs_base;
  int tid;
  ThreadState state;
  bool timed_out;            // set by the scheduler when deadline passed
  uint64_t deadline;         // monotonic ns at which a blocked thread wakes
  int* clear_child_tid;      // CLONE_CHILD_CLEARTID / set_tid_address
  uint64_t sigmask;
  // futex wait queue links (futex.cpp)
  uint32_t* futex_addr;
  uint32_t futex_bitset;
  Thread* futex_next;
  Thread* futex_prev;
  // FUTEX_WAIT_REQUEUE_PI: the PI futex this waiter expects to be requeued
  // to (set while it waits on the first futex or on that one), or nullptr.
  uint32_t* futex_pi_target;
  // Signals (sched/signal*.cpp). pending: sent to this thread (tgkill);
  // the process-wide set lives in signal_state. sig_record: the innermost
  // handler running on this thread (a SigRecord on the kernel stack), or
  // nullptr. sig_wake: woken by a signal, not by what it waited for.
  uint64_t sigpending;
  void* sig_record;
  void* cur_frame;           // the SyscallFrame of the system call in progress
  uint64_t suspend_mask;     // the mask rt_sigsuspend restores
  uint64_t sigwait_set;      // rt_sigtimedwait: blocked signals it takes
  bool in_suspend;
  bool sig_wake;
  uint64_t altstack_sp;
  uint64_t altstack_size;
  int altstack_flags;        // SS_DISABLE or 0
  Thread* next;              // all threads, circular
  char name[16];
  // set_robust_list's head (a uapi::RobustListHead in the program), walked
  // when the thread exits (sched/robust.cpp).
  uint64_t robust_head;
  // A munmap of the range holding this thread's own stack, deferred until
  // the thread exits (musl's detached threads unmap their stack and then
  // call exit: the call's return address is on that stack).
  uint64_t exit_unmap_addr;
  uint64_t exit_unmap_len;
  // Another thread is in execve: this one ends at its next way out of the
  // LibOS (signal_deliver, signal_deliver_async), as Linux's de_thread kills
  // the others (sched/exec_threads.hpp).
  bool exec_doomed;
};

// Sets up the main thread (tid 1) on the boot stack and sizes xsave areas
// from BootInfo's xsave fields (computed from CPUID if a monitor left them
// 0). Panics if the size does not cover XCR0's components; ends the instance
// with status 2 if a --cpu-features variant was asked for and XCR0 is not it.
void init(const shoal::abi::BootInfo& boot);
Thread* current();
Thread* find(int tid);
int thread_count();

// Makes a new runnable thread whose first switch-in resumes at entry_rsp
// (a prepared kernel stack). Returns nullptr when out of memory.
Thread* create(uint64_t fs_base);
void make_runnable(Thread* t);

// Runs another runnable thread, if any; returns when this one is picked again.
void yield();
// Blocks the current thread until wake() or until the monotonic deadline
// (kNoDeadline: none). Returns false if it timed out.
bool block(uint64_t deadline);
void wake(Thread* t);
// Wakes t out of block() because a signal arrived for it: block() returns
// true and t->sig_wake is set, so interruptible waits can return -EINTR.
void interrupt(Thread* t);
// A thread in the ring (the current one when it is alive), to walk all
// threads through ->next (signal targeting).
Thread* first();
// Ends the current thread. When it was the last one, the program exits with
// status.
[[noreturn]] void exit_current(int status);

// Size in bytes of an xsave area, and the XCR0 mask, fixed at init.
size_t xsave_size();
uint64_t xsave_mask();

}  // namespace libos::sched
