// The core's system-call handlers (the file family is in fs/syscalls.hpp).
// Each takes the Linux x86-64 register values typed as Linux declares them,
// or the whole SyscallFrame when it needs the program's registers, and
// returns the result or -errno exactly as Linux would.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "syscalls/frame.hpp"
#include "syscalls/linux.hpp"

using libos::SyscallFrame;
namespace lk = libos::lk;

// mm/
long sys_brk(uint64_t addr);
long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
long sys_mprotect(uint64_t addr, uint64_t len, int prot);
long sys_madvise(uint64_t addr, uint64_t len, int advice);
long sys_msync(uint64_t addr, uint64_t len, int flags);
long sys_mincore(uint64_t addr, uint64_t len, unsigned char* vec);
long sys_mlock(uint64_t addr, uint64_t len);
long sys_munlock(uint64_t addr, uint64_t len);
long sys_mlockall(int flags);
long sys_munlockall();

// sched/
long sys_clone(SyscallFrame& frame);
long sys_clone3(void* args, size_t size);
long sys_fork();
long sys_vfork();
long sys_execve(const char* path, char* const* argv, char* const* envp);
long sys_wait4(int pid, int* status, int options, void* rusage);
long sys_exit(int status);
long sys_exit_group(int status);
long sys_futex(uint32_t* uaddr, int op, uint32_t val, uint64_t timeout_or_val2, uint32_t* uaddr2,
               uint32_t val3);
long sys_set_tid_address(int* tidptr);
long sys_set_robust_list(void* head, size_t len);
long sys_get_robust_list(int pid, void** head, size_t* len);
long sys_sched_yield();
long sys_nanosleep(const lk::Timespec* req, lk::Timespec* rem);
long sys_clock_nanosleep(int clock, int flags, const lk::Timespec* req, lk::Timespec* rem);
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

// time/
long sys_clock_gettime(int clock, lk::Timespec* ts);
long sys_clock_getres(int clock, lk::Timespec* ts);
long sys_gettimeofday(lk::Timeval* tv, lk::Timezone* tz);
long sys_time(int64_t* t);
long sys_times(lk::Tms* buf);

// syscalls/ identity and limits
long sys_uname(lk::Utsname* buf);
long sys_getuid();
long sys_geteuid();
long sys_getgid();
long sys_getegid();
long sys_setuid(unsigned uid);
long sys_setgid(unsigned gid);
long sys_getresuid(unsigned* r, unsigned* e, unsigned* s);
long sys_getresgid(unsigned* r, unsigned* e, unsigned* s);
long sys_getgroups(int size, unsigned* list);
long sys_getpgrp();
long sys_getpgid(int pid);
long sys_setpgid(int pid, int pgid);
long sys_getsid(int pid);
long sys_setsid();
long sys_prlimit64(int pid, int resource, const lk::Rlimit* new_limit, lk::Rlimit* old_limit);
long sys_getrlimit(int resource, lk::Rlimit* limit);
long sys_setrlimit(int resource, const lk::Rlimit* limit);
long sys_sysinfo(lk::Sysinfo* info);
long sys_getrusage(int who, lk::Rusage* usage);
long sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
long sys_arch_prctl(int code, uint64_t addr);
long sys_getrandom(void* buf, size_t len, unsigned flags);

// syscalls/ signals
long sys_rt_sigaction(int sig, const lk::KSigaction* act, lk::KSigaction* oact, size_t sigsetsize);
long sys_rt_sigprocmask(SyscallFrame& frame);
long sys_rt_sigreturn(SyscallFrame& frame);
long sys_rt_sigpending(uint64_t* set, size_t sigsetsize);
long sys_sigaltstack(SyscallFrame& frame);
long sys_kill(int pid, int sig);
long sys_tkill(int tid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_rt_sigsuspend(const uint64_t* mask, size_t sigsetsize);
long sys_pause();
long sys_rt_sigqueueinfo(int pid, int sig, const lk::Siginfo* info);
long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, const lk::Siginfo* info);
long sys_rt_sigtimedwait(const uint64_t* set, lk::Siginfo* info, const lk::Timespec* timeout,
                         size_t sigsetsize);

// syscalls/ interval timers
long sys_alarm(unsigned seconds);
long sys_getitimer(int which, lk::Itimerval* value);
long sys_setitimer(int which, const lk::Itimerval* value, lk::Itimerval* old);
long sys_timer_create(int clock, const lk::Sigevent* sev, int* id);
long sys_timer_settime(int id, int flags, const lk::Itimerspec* value, lk::Itimerspec* old);
long sys_timer_gettime(int id, lk::Itimerspec* value);
long sys_timer_getoverrun(int id);
long sys_timer_delete(int id);

// fs/eventfd.cpp
long sys_eventfd(unsigned initval);
long sys_eventfd2(unsigned initval, int flags);

// Called by the dispatcher while a signal handler runs on this thread.
void signal_check_escape(SyscallFrame& frame);

// wrappers over the file family
long sys_faccessat2(int dirfd, const char* path, int mode, int flags);
