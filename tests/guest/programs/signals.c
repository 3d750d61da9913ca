// Signals within one process, compared with Linux: handlers via raise and
// kill, SA_SIGINFO fields, sigaltstack, masks and pending delivery,
// SA_RESETHAND, SA_NODEFER, abort() caught by a handler that siglongjmps out,
// a handler returning through rt_sigreturn with registers intact, alarm
// interrupting pause(), periodic setitimer, sigsuspend, sigtimedwait, a
// POSIX timer, and system() failing (or working) without crashing.
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t g_count;
static volatile int g_last_sig, g_last_code, g_last_pid_ok, g_depth, g_max_depth;
static volatile int g_on_alt, g_alt_flags, g_masked_inside;
static char g_alt[65536];
static sigjmp_buf g_jump;

static void on_count(int sig) {
  g_count++;
  g_last_sig = sig;
}

static void on_info(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  g_last_sig = sig;
  g_last_code = si->si_code;
  g_last_pid_ok = si->si_pid == getpid();
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  g_masked_inside = sigismember(&cur, sig);
}

static volatile int g_value;
static void on_value(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  g_value = si->si_value.sival_int;
  g_last_code = si->si_code;
}

static void on_alt(int sig) {
  (void)sig;
  char here;
  g_on_alt = &here >= g_alt && &here < g_alt + sizeof(g_alt);
  stack_t ss;
  sigaltstack(NULL, &ss);
  g_alt_flags = ss.ss_flags;
}

static volatile int g_calls;
static void on_nested(int sig) {
  g_depth++;
  g_calls++;
  if (g_depth > g_max_depth) g_max_depth = g_depth;
  if (g_calls < 3) raise(sig);
  g_depth--;
}

static void on_abort(int sig) { siglongjmp(g_jump, sig); }

static void on_alarm(int sig) {
  (void)sig;
  g_count++;
}

static void install(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) perror("sigaction");
}

static void test_raise_kill(void) {
  install(SIGUSR1, on_count, 0);
  g_count = 0;
  raise(SIGUSR1);
  printf("raise: count %d sig %d\n", (int)g_count, g_last_sig);
  kill(getpid(), SIGUSR1);
  printf("kill: count %d\n", (int)g_count);
  syscall(SYS_tgkill, getpid(), (int)syscall(SYS_gettid), SIGUSR1);
  printf("tgkill: count %d\n", (int)g_count);
  struct sigaction old;
  sigaction(SIGUSR1, NULL, &old);
  printf("sigaction reads back: %d\n", old.sa_handler == on_count);
  int r = sigaction(SIGKILL, &old, NULL);
  printf("sigaction(SIGKILL) = %d errno %s\n", r, strerror(errno));
  printf("kill sig 0 = %d\n", kill(getpid(), 0));
  r = kill(getpid(), 99);
  printf("bad sig = %d errno %s\n", r, strerror(errno));
}

static void test_siginfo(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("siginfo raise: sig %d code %s pid ok %d masked inside %d\n", g_last_sig,
         g_last_code == SI_TKILL ? "SI_TKILL" : "other", g_last_pid_ok, g_masked_inside);
  kill(getpid(), SIGUSR2);
  printf("siginfo kill: code %s pid ok %d\n", g_last_code == SI_USER ? "SI_USER" : "other",
         g_last_pid_ok);
  sa.sa_sigaction = on_value;
  sigaction(SIGRTMIN + 1, &sa, NULL);
  union sigval v = {.sival_int = 4242};
  sigqueue(getpid(), SIGRTMIN + 1, v);
  printf("sigqueue: value %d code %s\n", g_value, g_last_code == SI_QUEUE ? "SI_QUEUE" : "other");
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("SA_NODEFER: masked inside %d\n", g_masked_inside);
}

static void test_altstack(void) {
  stack_t ss, old;
  sigaltstack(NULL, &old);
  printf("altstack initially disabled: %d\n", (old.ss_flags & SS_DISABLE) != 0);
  ss.ss_sp = g_alt;
  ss.ss_size = sizeof(g_alt);
  ss.ss_flags = 0;
  printf("sigaltstack set: %d\n", sigaltstack(&ss, NULL));
  ss.ss_size = 100;
  int r = sigaltstack(&ss, NULL);
  printf("too small: %d errno %s\n", r, strerror(errno));
  install(SIGUSR1, on_alt, SA_ONSTACK);
  raise(SIGUSR1);
  printf("SA_ONSTACK handler on alt stack: %d, SS_ONSTACK: %d\n", g_on_alt,
         (g_alt_flags & SS_ONSTACK) != 0);
  install(SIGUSR1, on_alt, 0);
  raise(SIGUSR1);
  printf("without SA_ONSTACK on alt stack: %d\n", g_on_alt);
  sigaltstack(NULL, &old);
  printf("read back: size %zu same sp %d\n", old.ss_size, old.ss_sp == g_alt);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, NULL);
  sigaltstack(NULL, &old);
  printf("disabled again: %d\n", (old.ss_flags & SS_DISABLE) != 0);
}

static void test_masks(void) {
  install(SIGUSR1, on_count, 0);
  g_count = 0;
  sigset_t set, old, pend;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR1);
  raise(SIGUSR1);
  sigpending(&pend);
  printf("blocked: count %d pending %d\n", (int)g_count, sigismember(&pend, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("unblocked: count %d\n", (int)g_count);
  sigpending(&pend);
  printf("pending after: %d\n", sigismember(&pend, SIGUSR1));

  // An ignored signal is discarded, a blocked then ignored one too.
  install(SIGUSR2, SIG_IGN, 0);
  raise(SIGUSR2);
  printf("SIG_IGN survived\n");
  install(SIGCHLD, SIG_DFL, 0);
  raise(SIGCHLD);
  printf("SIGCHLD default ignored\n");

  // Nesting: the handler's own signal is deferred until it returns.
  install(SIGUSR1, on_nested, 0);
  g_depth = g_max_depth = g_calls = 0;
  raise(SIGUSR1);
  printf("deferred nesting max depth %d calls %d\n", g_max_depth, g_calls);
  install(SIGUSR1, on_nested, SA_NODEFER);
  g_depth = g_max_depth = g_calls = 0;
  raise(SIGUSR1);
  printf("SA_NODEFER nesting max depth %d calls %d\n", g_max_depth, g_calls);
}

static void test_resethand(void) {
  install(SIGUSR1, on_count, SA_RESETHAND);
  g_count = 0;
  raise(SIGUSR1);
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  printf("SA_RESETHAND: count %d, now default %d\n", (int)g_count, now.sa_handler == SIG_DFL);
}

static void test_abort(void) {
  install(SIGABRT, on_abort, 0);
  int got = sigsetjmp(g_jump, 1);
  if (got == 0) {
    abort();
    printf("abort returned?\n");
  } else {
    printf("abort caught: signal %d\n", got);
  }
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("mask restored by siglongjmp: %d\n", !sigismember(&cur, SIGABRT));
  // Again, to see the LibOS's handler bookkeeping survive an escape.
  got = sigsetjmp(g_jump, 1);
  if (got == 0) abort();
  printf("second abort caught: %d\n", got);
}

// The interrupted code's registers survive the handler (callee-saved ones
// are live across raise in this loop) and the handler's result flows back.
static void test_registers(void) {
  install(SIGUSR1, on_count, 0);
  g_count = 0;
  double acc = 1.0;
  long sum = 0;
  for (int i = 0; i < 100; i++) {
    acc = acc * 1.5 + i;
    sum += i * 3;
    raise(SIGUSR1);
  }
  printf("registers: count %d sum %ld acc %.6g\n", (int)g_count, sum, acc);
}

static void test_alarm(void) {
  install(SIGALRM, on_alarm, 0);
  g_count = 0;
  printf("alarm(1) previous %u\n", alarm(1));
  unsigned left = alarm(1);
  printf("alarm again previous %u\n", left);
  int r = pause();
  printf("pause returned %d errno %s count %d\n", r, strerror(errno), (int)g_count);
  printf("alarm(0) previous %u\n", alarm(0));
}

static void test_itimer(void) {
  install(SIGALRM, on_alarm, SA_RESTART);
  g_count = 0;
  struct itimerval it = {{0, 10000}, {0, 10000}};
  printf("setitimer: %d\n", setitimer(ITIMER_REAL, &it, NULL));
  struct itimerval cur;
  getitimer(ITIMER_REAL, &cur);
  printf("getitimer interval %ld us, armed %d\n", (long)cur.it_interval.tv_usec,
         cur.it_value.tv_usec > 0 || cur.it_value.tv_sec > 0);
  while (g_count < 5) pause();
  memset(&it, 0, sizeof(it));
  setitimer(ITIMER_REAL, &it, NULL);
  getitimer(ITIMER_REAL, &cur);
  printf("ticks %d, disarmed %d\n", (int)g_count, cur.it_value.tv_usec == 0 && cur.it_value.tv_sec == 0);
  struct itimerval bad = {{0, 2000000}, {0, 0}};
  int r = setitimer(ITIMER_REAL, &bad, NULL);
  printf("bad usec: %d errno %s\n", r, strerror(errno));
  r = setitimer(7, &it, NULL);
  printf("bad which: %d errno %s\n", r, strerror(errno));

  // A sleep is interrupted too, with the time left.
  g_count = 0;
  struct itimerval once = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &once, NULL);
  struct timespec req = {5, 0}, rem = {0, 0};
  r = nanosleep(&req, &rem);
  printf("nanosleep interrupted: %d errno %s count %d rem > 4s %d\n", r, strerror(errno),
         (int)g_count, rem.tv_sec >= 4);
}

static void test_sigsuspend(void) {
  install(SIGUSR1, on_count, 0);
  sigset_t block, old, none;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &old);
  g_count = 0;
  raise(SIGUSR1);
  sigemptyset(&none);
  int r = sigsuspend(&none);
  sigset_t after;
  sigprocmask(SIG_BLOCK, NULL, &after);
  printf("sigsuspend %d errno %s count %d still blocked %d\n", r, strerror(errno), (int)g_count,
         sigismember(&after, SIGUSR1));
  raise(SIGUSR1);
  siginfo_t si;
  struct timespec zero = {0, 0};
  int sig = sigtimedwait(&block, &si, &zero);
  printf("sigtimedwait took %d (count %d)\n", sig, (int)g_count);
  sig = sigtimedwait(&block, &si, &zero);
  printf("sigtimedwait empty: %d errno %s\n", sig, strerror(errno));
  sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_posix_timer(void) {
  install(SIGUSR2, on_count, 0);
  g_count = 0;
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR2;
  timer_t id;
  printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &id));
  struct itimerspec its = {{0, 5000000}, {0, 5000000}};
  printf("timer_settime: %d\n", timer_settime(id, 0, &its, NULL));
  while (g_count < 3) pause();
  struct itimerspec cur;
  timer_gettime(id, &cur);
  printf("timer ticks >= 3, interval %ld ns\n", cur.it_interval.tv_nsec);
  printf("timer_delete: %d\n", timer_delete(id));
}

// A signal sent to another thread (pthread_kill) runs the handler there and
// interrupts its sleep.
static volatile int g_thread_tid_hit;
static volatile int g_worker_tid;
static void on_thread(int sig) {
  (void)sig;
  g_thread_tid_hit = (int)syscall(SYS_gettid) == g_worker_tid;
}
static void* sleeper(void* arg) {
  (void)arg;
  g_worker_tid = (int)syscall(SYS_gettid);
  struct timespec req = {5, 0};
  int r = nanosleep(&req, NULL);
  return (void*)(long)(r == -1 && errno == EINTR);
}
static void test_thread_signal(void) {
  install(SIGUSR1, on_thread, 0);
  pthread_t t;
  pthread_create(&t, NULL, sleeper, NULL);
  struct timespec d = {0, 20000000};
  nanosleep(&d, NULL);
  pthread_kill(t, SIGUSR1);
  void* eintr;
  pthread_join(t, &eintr);
  printf("pthread_kill: handler on target thread %d, its sleep got EINTR %d\n", g_thread_tid_hit,
         (int)(long)eintr);
}

// A blocking eventfd read: interrupted by SIGALRM (EINTR without
// SA_RESTART), restarted with SA_RESTART until another thread writes.
static int g_efd;
static void* late_eventfd_writer(void* arg) {
  (void)arg;
  struct timespec d = {0, 50000000};
  nanosleep(&d, NULL);
  uint64_t v = 9;
  write(g_efd, &v, 8);
  return NULL;
}
static void test_eventfd_eintr(void) {
  g_efd = eventfd(0, EFD_CLOEXEC);
  uint64_t v = 0;
  install(SIGALRM, on_alarm, 0);
  g_count = 0;
  struct itimerval once = {{0, 0}, {0, 10000}};
  setitimer(ITIMER_REAL, &once, NULL);
  long r = read(g_efd, &v, 8);
  printf("eventfd read without SA_RESTART: %ld errno %s count %d\n", r, strerror(errno), (int)g_count);
  install(SIGALRM, on_alarm, SA_RESTART);
  g_count = 0;
  setitimer(ITIMER_REAL, &once, NULL);
  pthread_t t;
  pthread_create(&t, NULL, late_eventfd_writer, NULL);
  r = read(g_efd, &v, 8);
  printf("eventfd read with SA_RESTART: %ld value %llu count %d\n", r, (unsigned long long)v,
         (int)g_count);
  pthread_join(t, NULL);
  close(g_efd);
}

static void test_system(void) {
  fflush(stdout);
  // vfork and fork: natively a child that exits at once; under shoal -1
  // with ENOSYS. Both leave the caller intact.
  pid_t pid = vfork();
  if (pid == 0) _exit(3);
  int st = 0;
  if (pid > 0) waitpid(pid, &st, 0);
  printf("vfork clean: %d\n", (pid > 0 && WEXITSTATUS(st) == 3) || (pid == -1 && errno == ENOSYS));
  pid = fork();
  if (pid == 0) _exit(4);
  if (pid > 0) waitpid(pid, &st, 0);
  printf("fork clean: %d\n", (pid > 0 && WEXITSTATUS(st) == 4) || (pid == -1 && errno == ENOSYS));
  int r = system("true");
  // Natively 0; under shoal posix_spawn fails with ENOSYS (no processes)
  // and glibc reports "shell could not run": status 127. No crash either way.
  printf("system(\"true\") returned cleanly: %d\n", r == 0 || r == -1 || r == 127 << 8);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && strcmp(argv[1], "alarm-kill") == 0) {
    // SIGALRM's default action ends the program (status 128 + 14).
    alarm(1);
    for (;;) getppid();
  }
  test_raise_kill();
  test_siginfo();
  test_altstack();
  test_masks();
  test_resethand();
  test_abort();
  test_registers();
  test_sigsuspend();
  test_alarm();
  test_itimer();
  test_posix_timer();
  test_thread_signal();
  test_eventfd_eintr();
  test_system();
  printf("done\n");
  return 0;
}
