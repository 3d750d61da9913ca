// Cooperative threads on the one vCPU. There is no preemption: a thread runs
// until it makes a system call that blocks, sleeps, yields or exits. Each
// thread has its own kernel stack (system calls run on it) and its own
// extended state (xsave area), fs/gs base and signal mask.
#pragma once

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
  // While a signal handler runs (syscalls/signal.cpp): the kernel-stack top
  // to restore and the program's rsp at handler entry. A handler that leaves
  // by longjmp is detected at the next system call from above that rsp.
  uint64_t handler_saved_top;
  uint64_t handler_user_sp;
  Thread* next;              // all threads, circular
  char name[16];
};

// Sets up the main thread (tid 1) on the boot stack and sizes xsave areas.
void init();
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
// Ends the current thread. When it was the last one, the program exits with
// status.
[[noreturn]] void exit_current(int status);

// Size in bytes of an xsave area, and the XCR0 mask, fixed at init.
size_t xsave_size();
uint64_t xsave_mask();

}  // namespace libos::sched
