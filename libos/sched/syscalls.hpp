// The thread, scheduling, signal and interval-timer system calls (sched/).
// Each takes the Linux x86-64 register values typed as Linux declares them,
// or the whole SyscallFrame when it needs the program's registers, and
// returns the result or -errno exactly as Linux would. The dispatcher's
// table (syscalls/table.hpp) names them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/syscall_frame.hpp"
#include "uapi/signal.hpp"
#include "uapi/time.hpp"

using libos::SyscallFrame;
namespace uapi = libos::uapi;

long sys_clone(SyscallFrame& frame);
long sys_clone3(void* args, size_t size);
long sys_fork();
long sys_vfork();
long sys_wait4(int pid, int* status, int options, void* rusage);
long sys_exit(int status);
long sys_exit_group(int status);
long sys_futex(uint32_t* uaddr, int op, uint32_t val, uint64_t timeout_or_val2, uint32_t* uaddr2,
               uint32_t val3);
long sys_set_tid_address(int* tidptr);
long sys_set_robust_list(void* head, size_t len);
long sys_get_robust_list(int pid, void** head, size_t* len);
long sys_sched_yield();
long sys_nanosleep(const uapi::Timespec* req, uapi::Timespec* rem);
long sys_clock_nanosleep(int clock, int flags, const uapi::Timespec* req, uapi::Timespec* rem);
long sys_gettid();
long sys_getpid();
long sys_getppid();
long sys_sched_getaffinity(int pid, size_t len, uint8_t* mask);
long sys_sched_setaffinity(int pid, size_t len, const uint8_t* mask);
long sys_sched_getparam(int pid, int* param);
long sys_sched_setparam(int pid, const int* param);
long sys_sched_getscheduler(int pid);
long sys_sched_setscheduler(int pid, int policy, const int* param);
long sys_sched_get_priority_max(int policy);
long sys_sched_get_priority_min(int policy);
long sys_getcpu(unsigned* cpu, unsigned* node, void* cache);
long sys_rseq(void* rseq, uint32_t len, int flags, uint32_t sig);
long sys_membarrier(int cmd, unsigned flags, int cpu_id);

// signals (sched/signal.cpp, signal_deliver.cpp)
long sys_rt_sigaction(int sig, const uapi::KSigaction* act, uapi::KSigaction* oact, size_t sigsetsize);
long sys_rt_sigprocmask(SyscallFrame& frame);
long sys_rt_sigreturn(SyscallFrame& frame);
long sys_rt_sigpending(uint64_t* set, size_t sigsetsize);
long sys_sigaltstack(SyscallFrame& frame);
long sys_kill(int pid, int sig);
long sys_tkill(int tid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_rt_sigsuspend(const uint64_t* mask, size_t sigsetsize);
long sys_pause();
long sys_rt_sigqueueinfo(int pid, int sig, const uapi::Siginfo* info);
long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, const uapi::Siginfo* info);
long sys_rt_sigtimedwait(const uint64_t* set, uapi::Siginfo* info, const uapi::Timespec* timeout,
                         size_t sigsetsize);

// interval timers (sched/itimer.cpp)
long sys_alarm(unsigned seconds);
long sys_getitimer(int which, uapi::Itimerval* value);
long sys_setitimer(int which, const uapi::Itimerval* value, uapi::Itimerval* old);
long sys_timer_create(int clock, const uapi::Sigevent* sev, int* id);
long sys_timer_settime(int id, int flags, const uapi::Itimerspec* value, uapi::Itimerspec* old);
long sys_timer_gettime(int id, uapi::Itimerspec* value);
long sys_timer_getoverrun(int id);
long sys_timer_delete(int id);

// Called by the dispatcher while a signal handler runs on this thread.
void signal_check_escape(SyscallFrame& frame);
