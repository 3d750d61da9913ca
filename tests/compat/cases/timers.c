// alarm, setitimer, getitimer, pause, rt_sigsuspend, rt_sigtimedwait,
// timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete.
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "compat.h"

static volatile int g_hits, g_sig;
static void handler(int sig) {
  g_hits++;
  g_sig = sig;
}

CASE(alarm_values)
// covers: alarm
{
  signal(SIGALRM, handler);
  SHOW(alarm(100));
  long left = alarm(0);
  printf("left 99..100 %d\n", left >= 99 && left <= 100);
  SHOW(alarm(0));
}

CASE(alarm_pause)
// covers: alarm pause
{
  signal(SIGALRM, handler);
  alarm(1);
  SHOW(pause());
  printf("hits %d sig %d\n", g_hits, g_sig);
}

CASE(setitimer_sleep_interrupted)
// covers: setitimer nanosleep
{
  signal(SIGALRM, handler);
  // 200 ms: long enough that the alarm cannot fire before nanosleep begins,
  // even on a loaded machine, and well before the 2 s sleep ends.
  struct itimerval it = {{0, 0}, {0, 200000}};
  SHOW(setitimer(ITIMER_REAL, &it, NULL));
  struct timespec d = {2, 0}, rem = {0, 0};
  int r = nanosleep(&d, &rem);
  printf("interrupted %d %s hits %d remaining>1s %d\n", r, errname(errno), g_hits, rem.tv_sec >= 1);
}

CASE(getitimer_setitimer)
// covers: getitimer setitimer
{
  struct itimerval it = {{1, 0}, {50, 0}}, cur, old;
  SHOW(setitimer(ITIMER_REAL, &it, NULL));
  SHOW(getitimer(ITIMER_REAL, &cur));
  printf("interval %ld.%06ld value<=50 %d value>49 %d\n", (long)cur.it_interval.tv_sec,
         (long)cur.it_interval.tv_usec, cur.it_value.tv_sec <= 50,
         cur.it_value.tv_sec >= 49);
  struct itimerval zero = {{0, 0}, {0, 0}};
  SHOW(setitimer(ITIMER_REAL, &zero, &old));
  printf("old interval %ld\n", (long)old.it_interval.tv_sec);
  SHOW(getitimer(ITIMER_REAL, &cur));
  printf("disarmed %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
}

CASE(itimer_errors)
// covers: getitimer setitimer
{
  struct itimerval it = {{0, 0}, {0, 2000000}}, cur;
  SHOW(setitimer(ITIMER_REAL, &it, NULL));
  SHOW(setitimer(42, &it, NULL));
  SHOW(getitimer(42, &cur));
  SHOW(syscall(SYS_getitimer, ITIMER_REAL, BAD_PTR));
  SHOW(syscall(SYS_setitimer, ITIMER_REAL, BAD_PTR, NULL));
}

CASE(itimer_periodic)
// covers: setitimer
{
  signal(SIGALRM, handler);
  struct itimerval it = {{0, 5000}, {0, 5000}};
  setitimer(ITIMER_REAL, &it, NULL);
  struct timespec d = {0, 2000000};
  while (g_hits < 3) nanosleep(&d, NULL);
  struct itimerval zero = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &zero, NULL);
  printf("at least 3 ticks %d\n", g_hits >= 3);
}

CASE(sigsuspend_wakes)
// covers: rt_sigsuspend rt_sigprocmask
{
  sigset_t block, wait_mask;
  signal(SIGALRM, handler);
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigprocmask(SIG_BLOCK, &block, NULL);
  struct itimerval it = {{0, 0}, {0, 10000}};
  setitimer(ITIMER_REAL, &it, NULL);
  sigemptyset(&wait_mask);
  SHOW(sigsuspend(&wait_mask));
  printf("hits %d\n", g_hits);
  sigset_t cur;
  sigprocmask(SIG_SETMASK, NULL, &cur);
  printf("mask restored %d\n", sigismember(&cur, SIGALRM));
  SHOW(syscall(SYS_rt_sigsuspend, &wait_mask, 4));
}

CASE(sigtimedwait_cases)
// covers: rt_sigtimedwait
{
  sigset_t set;
  siginfo_t si;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  struct timespec ts = {0, 5000000};
  SHOW(sigtimedwait(&set, &si, &ts));
  raise(SIGUSR1);
  SHOW(sigtimedwait(&set, &si, &ts));
  printf("si_signo %d\n", si.si_signo);
  struct timespec bad = {0, -1};
  SHOW(sigtimedwait(&set, &si, &bad));
  SHOW(syscall(SYS_rt_sigtimedwait, &set, NULL, BAD_PTR, 8));
}

CASE(posix_timer_signal)
// covers: timer_create timer_settime timer_gettime timer_getoverrun timer_delete
{
  signal(SIGUSR2, handler);
  timer_t t;
  struct sigevent sev = {0};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  SHOW(timer_create(CLOCK_MONOTONIC, &sev, &t));
  struct itimerspec its = {{0, 0}, {0, 10000000}}, cur;
  SHOW(timer_settime(t, 0, &its, NULL));
  SHOW(timer_gettime(t, &cur));
  printf("armed %d\n", cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0);
  struct timespec d = {1, 0};
  nanosleep(&d, NULL);
  printf("hits %d sig %d\n", g_hits, g_sig);
  SHOW(timer_getoverrun(t));
  SHOW(timer_delete(t));
  SHOW(timer_delete(t));
}

CASE(posix_timer_errors)
// covers: timer_create timer_settime
{
  timer_t t;
  SHOW(timer_create(12345, NULL, &t));
  SHOW(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, BAD_PTR));
  SHOW(timer_create(CLOCK_MONOTONIC, NULL, &t));
  struct itimerspec bad = {{0, 0}, {0, 2000000000L}};
  SHOW(timer_settime(t, 0, &bad, NULL));
  SHOW(syscall(SYS_timer_settime, 9999, 0, &bad, NULL));
}
