// Linux x86-64 layouts and numbers of <signal.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Sigevent {
  int64_t value;   // union sigval
  int32_t signo;
  int32_t notify;
  int32_t tid;     // sigev_notify_thread_id
  uint8_t pad[64 - 20];
};
static_assert(sizeof(Sigevent) == 64);

// The kernel's sigset_t (asm/signal.h): one bit per signal 1..64; the rt_sig* calls and
// ppoll/pselect6/epoll_pwait take its size.
using KSigset = uint64_t;

struct KSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};

struct Siginfo {
  int32_t signo, errno_, code, pad;
  int32_t pid;
  uint32_t uid;
  uint8_t rest[128 - 24];
};
static_assert(sizeof(Siginfo) == 128);

struct Stack {
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
};

// Signal numbers (x86-64).
inline constexpr int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6,
                     SIGBUS = 7, SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12,
                     SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17,
                     SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22,
                     SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27,
                     SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
inline constexpr uint64_t SIG_DFL = 0, SIG_IGN = 1;
// sigaction flags.
inline constexpr uint64_t SA_SIGINFO = 4, SA_ONSTACK = 0x08000000, SA_RESTART = 0x10000000,
                          SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000,
                          SA_RESTORER = 0x04000000;
// si_code values.
inline constexpr int SI_USER = 0, SI_QUEUE = -1, SI_TIMER = -2, SI_TKILL = -6, SI_KERNEL = 0x80;
// sigaltstack flags, and the smallest alternate stack it accepts.
inline constexpr int SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 1 << 31;
inline constexpr size_t MINSIGSTKSZ = 2048;
// rt_sigprocmask(2) how.
inline constexpr int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
// sigevent.sigev_notify.
inline constexpr int SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;

}  // namespace libos::uapi
