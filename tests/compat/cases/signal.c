// rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigreturn, sigaltstack,
// kill, tkill, tgkill: one process, delivered synchronously.
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "compat.h"

static volatile int g_hits, g_last_sig, g_on_alt;
static char g_alt[65536];
static sigjmp_buf g_jump;

static void handler(int sig) {
  g_hits++;
  g_last_sig = sig;
  char here;
  g_on_alt = &here >= g_alt && &here < g_alt + sizeof g_alt;
}

static void info_handler(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  g_hits++;
  g_last_sig = sig;
  printf("in handler: signo %d code-is-user %d\n", si->si_signo, si->si_code == SI_USER || si->si_code == SI_TKILL);
}

CASE(sigaction_raise)
// covers: rt_sigaction tgkill rt_sigreturn
{
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  SHOW(sigaction(SIGUSR1, &sa, NULL));
  SHOW(raise(SIGUSR1));
  printf("hits %d sig %d\n", g_hits, g_last_sig);
}

CASE(sigaction_query_old)
// covers: rt_sigaction
{
  struct sigaction sa = {0}, old;
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
  SHOW(sigaction(SIGUSR2, NULL, &old));
  printf("same handler %d restart %d\n", old.sa_handler == handler, (old.sa_flags & SA_RESTART) != 0);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGUSR2, &sa, &old);
  printf("old handler returned %d\n", old.sa_handler == handler);
  SHOW(raise(SIGUSR2));
  printf("ignored, hits %d\n", g_hits);
}

CASE(sigaction_errors)
// covers: rt_sigaction
{
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  SHOW(sigaction(SIGKILL, &sa, NULL));
  SHOW(sigaction(SIGSTOP, &sa, NULL));
  SHOW(sigaction(0, &sa, NULL));
  SHOW(sigaction(65, &sa, NULL));
  SHOW(syscall(SYS_rt_sigaction, SIGUSR1, BAD_PTR, NULL, 8));
  SHOW(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 3));
}

CASE(siginfo_handler)
// covers: rt_sigaction kill
{
  struct sigaction sa = {0};
  sa.sa_sigaction = info_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  SHOW(kill(getpid(), SIGUSR1));
  printf("hits %d\n", g_hits);
}

CASE(kill_self)
// covers: kill
{
  signal(SIGUSR1, handler);
  SHOW(kill(getpid(), SIGUSR1));
  SHOW(kill(getpid(), 0));
  SHOW(kill(getpid(), 99));
  printf("hits %d\n", g_hits);
}

CASE(tkill_tgkill)
// covers: tkill tgkill
{
  signal(SIGUSR2, handler);
  SHOW(syscall(SYS_tkill, gettid(), SIGUSR2));
  SHOW(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2));
  SHOW(syscall(SYS_tgkill, getpid(), gettid(), 0));
  SHOW(syscall(SYS_tkill, -1, SIGUSR2));
  SHOW(syscall(SYS_tgkill, getpid(), gettid(), -3));
  printf("hits %d\n", g_hits);
}

CASE(sigprocmask_pending)
// covers: rt_sigprocmask rt_sigpending
{
  sigset_t set, old, pend;
  signal(SIGUSR1, handler);
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  SHOW(sigprocmask(SIG_BLOCK, &set, &old));
  raise(SIGUSR1);
  printf("hits while blocked %d\n", g_hits);
  SHOW(sigpending(&pend));
  printf("pending %d\n", sigismember(&pend, SIGUSR1));
  SHOW(sigprocmask(SIG_UNBLOCK, &set, NULL));
  printf("hits after unblock %d\n", g_hits);
  SHOW(sigpending(&pend));
  printf("pending %d\n", sigismember(&pend, SIGUSR1));
}

CASE(sigprocmask_errors)
// covers: rt_sigprocmask rt_sigpending
{
  sigset_t set, cur;
  sigemptyset(&set);
  SHOW(sigprocmask(99, &set, NULL));
  SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));
  SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD_PTR, NULL, 8));
  SHOW(syscall(SYS_rt_sigpending, BAD_PTR, 8));
  sigaddset(&set, SIGKILL);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_SETMASK, &set, NULL);
  sigprocmask(SIG_SETMASK, NULL, &cur);
  printf("kill blocked %d usr1 blocked %d\n", sigismember(&cur, SIGKILL), sigismember(&cur, SIGUSR1));
}

CASE(sigaltstack_handler)
// covers: sigaltstack rt_sigaction
{
  stack_t ss = {.ss_sp = g_alt, .ss_size = sizeof g_alt, .ss_flags = 0}, old;
  SHOW(sigaltstack(&ss, NULL));
  SHOW(sigaltstack(NULL, &old));
  printf("size %zu flags %d\n", old.ss_size, old.ss_flags);
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("hits %d on alt stack %d\n", g_hits, g_on_alt);
}

CASE(sigaltstack_errors)
// covers: sigaltstack
{
  stack_t ss = {.ss_sp = g_alt, .ss_size = 100, .ss_flags = 0};
  SHOW(sigaltstack(&ss, NULL));
  ss.ss_size = sizeof g_alt;
  ss.ss_flags = 12345;
  SHOW(sigaltstack(&ss, NULL));
  SHOW(syscall(SYS_sigaltstack, BAD_PTR, NULL));
  ss.ss_flags = SS_DISABLE;
  SHOW(sigaltstack(&ss, NULL));
  stack_t old;
  sigaltstack(NULL, &old);
  printf("disabled %d\n", (old.ss_flags & SS_DISABLE) != 0);
}

static void abort_handler(int sig) {
  (void)sig;
  siglongjmp(g_jump, 1);
}

CASE(abort_caught)
// covers: rt_sigaction tgkill rt_sigprocmask
{
  signal(SIGABRT, abort_handler);
  if (sigsetjmp(g_jump, 1) == 0) {
    abort();
    printf("not reached\n");
  } else {
    printf("abort reached the handler\n");
  }
}

CASE(default_action_terminates)
// covers: kill
{
  printf("raising SIGTERM\n");
  fflush(stdout);
  raise(SIGTERM);
  printf("not reached\n");
}

CASE(nested_signal_masked)
// covers: rt_sigaction rt_sigreturn
{
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  for (int i = 0; i < 50; i++) raise(i % 2 ? SIGUSR1 : SIGUSR2);
  printf("hits %d\n", g_hits);
  sigset_t cur;
  sigprocmask(SIG_SETMASK, NULL, &cur);
  printf("mask restored %d\n", !sigismember(&cur, SIGUSR2));
}

CASE(alarm_delivers)
// covers: alarm setitimer nanosleep
{
  signal(SIGALRM, handler);
  struct itimerval it = {{0, 0}, {0, 20000}};
  SHOW(setitimer(ITIMER_REAL, &it, NULL));
  struct timespec d = {0, 200000000};
  int r = nanosleep(&d, NULL);
  printf("sleep interrupted %d hits %d sig %d\n", r == -1 && errno == EINTR, g_hits, g_last_sig);
  SHOW(alarm(0));
}

static volatile int g_value, g_code_queue;
static void queue_handler(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  g_hits++;
  g_last_sig = sig;
  g_value = si->si_value.sival_int;
  g_code_queue = si->si_code == SI_QUEUE;
}

CASE(sigqueue_value)
// covers: rt_sigqueueinfo
{
  struct sigaction sa = {0};
  sa.sa_sigaction = queue_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  union sigval v = {.sival_int = 4242};
  SHOW(sigqueue(getpid(), SIGUSR1, v));
  printf("hits %d value %d si_code SI_QUEUE %d\n", g_hits, g_value, g_code_queue);
  SHOW(sigqueue(getpid(), 0, v));
  SHOW(sigqueue(getpid(), 99, v));
  SHOW(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, BAD_PTR));
}

CASE(tgsigqueueinfo_thread)
// covers: rt_tgsigqueueinfo
{
  struct sigaction sa = {0};
  sa.sa_sigaction = queue_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = SIGUSR2;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = 77;
  SHOW(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR2, &si));
  printf("hits %d value %d\n", g_hits, g_value);
  SHOW(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR2, BAD_PTR));
  SHOW(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), 200, &si));
  SHOW(syscall(SYS_rt_tgsigqueueinfo, getpid(), -5, SIGUSR2, &si));
}
