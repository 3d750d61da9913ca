// The one table of system calls the LibOS implements: (name, number,
// handler). It generates the dispatcher's switch (syscalls/dispatch.cpp).
// A number not listed returns -ENOSYS (named once on stderr with --verbose).
#pragma once

#include "core/syscalls.hpp"
#include "exec/syscalls.hpp"
#include "fs/syscalls.hpp"
#include "ipc/syscalls.hpp"
#include "mm/syscalls.hpp"
#include "net/syscalls.hpp"
#include "sched/syscalls.hpp"
#include "sched/robust.hpp"
#include "syscalls/handlers.hpp"
#include "time/syscalls.hpp"

#define SHOAL_SYSCALLS(X)                                 \
  X(read, 0, sys_read)                                    \
  X(write, 1, sys_write)                                  \
  X(open, 2, sys_open)                                    \
  X(close, 3, sys_close)                                  \
  X(stat, 4, sys_stat)                                    \
  X(fstat, 5, sys_fstat)                                  \
  X(lstat, 6, sys_lstat)                                  \
  X(poll, 7, sys_poll)                                    \
  X(lseek, 8, sys_lseek)                                  \
  X(mmap, 9, sys_mmap)                                    \
  X(mprotect, 10, sys_mprotect)                           \
  X(munmap, 11, sys_munmap_thread)                        \
  X(brk, 12, sys_brk)                                     \
  X(rt_sigaction, 13, sys_rt_sigaction)                   \
  X(rt_sigprocmask, 14, sys_rt_sigprocmask)               \
  X(rt_sigreturn, 15, sys_rt_sigreturn)                   \
  X(ioctl, 16, sys_ioctl)                                 \
  X(pread64, 17, sys_pread64)                             \
  X(pwrite64, 18, sys_pwrite64)                           \
  X(readv, 19, sys_readv)                                 \
  X(writev, 20, sys_writev)                               \
  X(access, 21, sys_access)                               \
  X(pipe, 22, sys_pipe)                                   \
  X(select, 23, sys_select)                               \
  X(sched_yield, 24, sys_sched_yield)                     \
  X(mremap, 25, sys_mremap)                               \
  X(msync, 26, sys_msync)                                 \
  X(mincore, 27, sys_mincore)                             \
  X(madvise, 28, sys_madvise)                             \
  X(shmget, 29, sys_shmget)                               \
  X(shmat, 30, sys_shmat)                                 \
  X(shmctl, 31, sys_shmctl)                               \
  X(dup, 32, sys_dup)                                     \
  X(dup2, 33, sys_dup2)                                   \
  X(pause, 34, sys_pause)                                 \
  X(nanosleep, 35, sys_nanosleep)                         \
  X(getitimer, 36, sys_getitimer)                         \
  X(alarm, 37, sys_alarm)                                 \
  X(setitimer, 38, sys_setitimer)                         \
  X(getpid, 39, sys_getpid)                               \
  X(sendfile, 40, sys_sendfile)                           \
  X(socket, 41, sys_socket)                               \
  X(connect, 42, sys_connect)                             \
  X(accept, 43, sys_accept)                               \
  X(sendto, 44, sys_sendto)                               \
  X(recvfrom, 45, sys_recvfrom)                           \
  X(sendmsg, 46, sys_sendmsg)                             \
  X(recvmsg, 47, sys_recvmsg)                             \
  X(shutdown, 48, sys_shutdown)                           \
  X(bind, 49, sys_bind)                                   \
  X(listen, 50, sys_listen)                               \
  X(getsockname, 51, sys_getsockname)                     \
  X(getpeername, 52, sys_getpeername)                     \
  X(socketpair, 53, sys_socketpair)                       \
  X(setsockopt, 54, sys_setsockopt)                       \
  X(getsockopt, 55, sys_getsockopt)                       \
  X(clone, 56, sys_clone)                                 \
  X(fork, 57, sys_fork_frame)                             \
  X(vfork, 58, sys_vfork_frame)                           \
  X(execve, 59, sys_execve)                               \
  X(exit, 60, sys_exit)                                   \
  X(wait4, 61, sys_wait4)                                 \
  X(kill, 62, sys_kill)                                   \
  X(uname, 63, sys_uname)                                 \
  X(semget, 64, sys_semget)                               \
  X(semop, 65, sys_semop)                                 \
  X(semctl, 66, sys_semctl)                               \
  X(shmdt, 67, sys_shmdt)                                 \
  X(msgget, 68, sys_msgget)                               \
  X(msgsnd, 69, sys_msgsnd)                               \
  X(msgrcv, 70, sys_msgrcv)                               \
  X(msgctl, 71, sys_msgctl)                               \
  X(fcntl, 72, sys_fcntl)                                 \
  X(flock, 73, sys_flock)                                 \
  X(fsync, 74, sys_fsync)                                 \
  X(fdatasync, 75, sys_fdatasync)                         \
  X(truncate, 76, sys_truncate)                           \
  X(ftruncate, 77, sys_ftruncate)                         \
  X(getcwd, 79, sys_getcwd)                               \
  X(chdir, 80, sys_chdir)                                 \
  X(fchdir, 81, sys_fchdir)                               \
  X(rename, 82, sys_rename)                               \
  X(mkdir, 83, sys_mkdir)                                 \
  X(rmdir, 84, sys_rmdir)                                 \
  X(creat, 85, sys_creat)                                 \
  X(link, 86, sys_link)                                   \
  X(unlink, 87, sys_unlink)                               \
  X(symlink, 88, sys_symlink)                             \
  X(readlink, 89, sys_readlink)                           \
  X(chmod, 90, sys_chmod)                                 \
  X(fchmod, 91, sys_fchmod)                               \
  X(chown, 92, sys_chown)                                 \
  X(fchown, 93, sys_fchown)                               \
  X(lchown, 94, sys_lchown)                               \
  X(umask, 95, sys_umask)                                 \
  X(gettimeofday, 96, sys_gettimeofday)                   \
  X(getrlimit, 97, sys_getrlimit)                         \
  X(getrusage, 98, sys_getrusage)                         \
  X(sysinfo, 99, sys_sysinfo)                             \
  X(times, 100, sys_times)                                \
  X(getuid, 102, sys_getuid)                              \
  X(getgid, 104, sys_getgid)                              \
  X(setuid, 105, sys_setuid)                              \
  X(setgid, 106, sys_setgid)                              \
  X(geteuid, 107, sys_geteuid)                            \
  X(getegid, 108, sys_getegid)                            \
  X(setpgid, 109, sys_setpgid)                            \
  X(getppid, 110, sys_getppid)                            \
  X(getpgrp, 111, sys_getpgrp)                            \
  X(setsid, 112, sys_setsid)                              \
  X(getgroups, 115, sys_getgroups)                        \
  X(getresuid, 118, sys_getresuid)                        \
  X(getresgid, 120, sys_getresgid)                        \
  X(getpgid, 121, sys_getpgid)                            \
  X(getsid, 124, sys_getsid)                              \
  X(rt_sigpending, 127, sys_rt_sigpending)                \
  X(rt_sigtimedwait, 128, sys_rt_sigtimedwait)            \
  X(rt_sigqueueinfo, 129, sys_rt_sigqueueinfo)            \
  X(rt_sigsuspend, 130, sys_rt_sigsuspend)                \
  X(sigaltstack, 131, sys_sigaltstack)                    \
  X(utime, 132, sys_utime)                                \
  X(statfs, 137, sys_statfs)                              \
  X(fstatfs, 138, sys_fstatfs)                            \
  X(getpriority, 140, sys_getpriority)                    \
  X(setpriority, 141, sys_setpriority)                    \
  X(sched_setparam, 142, sys_sched_setparam)              \
  X(sched_getparam, 143, sys_sched_getparam)              \
  X(sched_setscheduler, 144, sys_sched_setscheduler)      \
  X(sched_getscheduler, 145, sys_sched_getscheduler)      \
  X(sched_get_priority_max, 146, sys_sched_get_priority_max)\
  X(sched_get_priority_min, 147, sys_sched_get_priority_min)\
  X(mlock, 149, sys_mlock)                                \
  X(munlock, 150, sys_munlock)                            \
  X(mlockall, 151, sys_mlockall)                          \
  X(munlockall, 152, sys_munlockall)                      \
  X(prctl, 157, sys_prctl)                                \
  X(arch_prctl, 158, sys_arch_prctl)                      \
  X(setrlimit, 160, sys_setrlimit)                        \
  X(sync, 162, sys_sync)                                  \
  X(gettid, 186, sys_gettid)                              \
  X(tkill, 200, sys_tkill)                                \
  X(time, 201, sys_time)                                  \
  X(futex, 202, sys_futex)                                \
  X(sched_setaffinity, 203, sys_sched_setaffinity)        \
  X(sched_getaffinity, 204, sys_sched_getaffinity)        \
  X(epoll_create, 213, sys_epoll_create)                  \
  X(getdents64, 217, sys_getdents64)                      \
  X(set_tid_address, 218, sys_set_tid_address)            \
  X(semtimedop, 220, sys_semtimedop)                      \
  X(fadvise64, 221, sys_fadvise64)                        \
  X(timer_create, 222, sys_timer_create)                  \
  X(timer_settime, 223, sys_timer_settime)                \
  X(timer_gettime, 224, sys_timer_gettime)                \
  X(timer_getoverrun, 225, sys_timer_getoverrun)          \
  X(timer_delete, 226, sys_timer_delete)                  \
  X(clock_gettime, 228, sys_clock_gettime)                \
  X(clock_getres, 229, sys_clock_getres)                  \
  X(clock_nanosleep, 230, sys_clock_nanosleep)            \
  X(exit_group, 231, sys_exit_group)                      \
  X(epoll_wait, 232, sys_epoll_wait)                      \
  X(epoll_ctl, 233, sys_epoll_ctl)                        \
  X(tgkill, 234, sys_tgkill)                              \
  X(utimes, 235, sys_utimes)                              \
  X(waitid, 247, sys_waitid)                              \
  X(openat, 257, sys_openat)                              \
  X(mkdirat, 258, sys_mkdirat)                            \
  X(fchownat, 260, sys_fchownat)                          \
  X(futimesat, 261, sys_futimesat)                        \
  X(newfstatat, 262, sys_newfstatat)                      \
  X(unlinkat, 263, sys_unlinkat)                          \
  X(renameat, 264, sys_renameat)                          \
  X(linkat, 265, sys_linkat)                              \
  X(symlinkat, 266, sys_symlinkat)                        \
  X(readlinkat, 267, sys_readlinkat)                      \
  X(fchmodat, 268, sys_fchmodat)                          \
  X(faccessat, 269, sys_faccessat)                        \
  X(pselect6, 270, sys_pselect6)                          \
  X(ppoll, 271, sys_ppoll)                                \
  X(set_robust_list, 273, sys_set_robust_list)            \
  X(get_robust_list, 274, sys_get_robust_list)            \
  X(utimensat, 280, sys_utimensat)                        \
  X(epoll_pwait, 281, sys_epoll_pwait)                    \
  X(eventfd, 284, sys_eventfd)                            \
  X(fallocate, 285, sys_fallocate)                        \
  X(accept4, 288, sys_accept4)                            \
  X(eventfd2, 290, sys_eventfd2)                          \
  X(epoll_create1, 291, sys_epoll_create1)                \
  X(dup3, 292, sys_dup3)                                  \
  X(pipe2, 293, sys_pipe2)                                \
  X(preadv, 295, sys_preadv)                              \
  X(pwritev, 296, sys_pwritev)                            \
  X(rt_tgsigqueueinfo, 297, sys_rt_tgsigqueueinfo)        \
  X(prlimit64, 302, sys_prlimit64)                        \
  X(syncfs, 306, sys_syncfs)                              \
  X(getcpu, 309, sys_getcpu)                              \
  X(renameat2, 316, sys_renameat2)                        \
  X(getrandom, 318, sys_getrandom)                        \
  X(memfd_create, 319, sys_memfd_create)                  \
  X(execveat, 322, sys_execveat)                          \
  X(membarrier, 324, sys_membarrier)                      \
  X(copy_file_range, 326, sys_copy_file_range)            \
  X(preadv2, 327, sys_preadv2)                            \
  X(pwritev2, 328, sys_pwritev2)                          \
  X(statx, 332, sys_statx)                                \
  X(rseq, 334, sys_rseq)                                  \
  X(clone3, 435, sys_clone3)                              \
  X(close_range, 436, sys_close_range)                    \
  X(faccessat2, 439, sys_faccessat2)                      \
  X(epoll_pwait2, 441, sys_epoll_pwait2)

// The numbers by name, from the same table (libos::nr::read == 0), for code
// that must name a system call rather than write its number.
namespace libos::nr {
#define SHOAL_SYSCALL_NR(name, number, fn) inline constexpr uint64_t name = number;
SHOAL_SYSCALLS(SHOAL_SYSCALL_NR)
#undef SHOAL_SYSCALL_NR
}  // namespace libos::nr
