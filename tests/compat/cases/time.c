// clock_gettime, clock_getres, nanosleep, clock_nanosleep, gettimeofday, time.
#include <sys/time.h>
#include <time.h>

#include "compat.h"

static long ns_between(struct timespec a, struct timespec b) {
  return (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
}

CASE(clock_gettime_clocks)
// covers: clock_gettime
{
  clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
                     CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_PROCESS_CPUTIME_ID,
                     CLOCK_THREAD_CPUTIME_ID};
  for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    struct timespec ts = {-1, -1};
    long r = syscall(SYS_clock_gettime, ids[i], &ts);
    printf("clock %d: %ld valid %d\n", ids[i], r, ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
  }
}

CASE(clock_gettime_errors)
// covers: clock_gettime
{
  struct timespec ts;
  SHOW(syscall(SYS_clock_gettime, 12345, &ts));
  SHOW(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD_PTR));
}

CASE(clock_monotonic_advances)
// covers: clock_gettime nanosleep
{
  struct timespec a, b, d = {0, 2000000};
  clock_gettime(CLOCK_MONOTONIC, &a);
  SHOW(nanosleep(&d, NULL));
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("slept at least 2ms %d\n", ns_between(a, b) >= 2000000);
}

CASE(realtime_plausible)
// covers: clock_gettime gettimeofday time
{
  struct timespec ts;
  struct timeval tv;
  clock_gettime(CLOCK_REALTIME, &ts);
  SHOW(gettimeofday(&tv, NULL));
  time_t t = time(NULL);
  long raw = syscall(SYS_time, NULL);
  printf("after 2020 %d\n", ts.tv_sec > 1577836800);
  printf("agree %d %d %d\n", labs(tv.tv_sec - ts.tv_sec) <= 1, labs(t - ts.tv_sec) <= 1, labs(raw - ts.tv_sec) <= 1);
  printf("usec valid %d\n", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
}

CASE(time_gettimeofday_efault)
// covers: time gettimeofday
{
  SHOW(syscall(SYS_time, BAD_PTR));
  SHOW(syscall(SYS_gettimeofday, BAD_PTR, NULL));
}

CASE(clock_getres_values)
// covers: clock_getres
{
  struct timespec ts;
  SHOW(clock_getres(CLOCK_MONOTONIC, &ts));
  printf("monotonic res %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  SHOW(clock_getres(CLOCK_REALTIME, &ts));
  printf("realtime res %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  SHOW(clock_getres(CLOCK_MONOTONIC, NULL));
  SHOW(clock_getres(12345, &ts) == 0 ? 0 : -1);
  SHOW(syscall(SYS_clock_getres, CLOCK_MONOTONIC, BAD_PTR));
}

CASE(nanosleep_errors)
// covers: nanosleep
{
  struct timespec bad = {0, 1000000000L}, neg = {-1, 0}, zero = {0, 0};
  SHOW(nanosleep(&bad, NULL));
  SHOW(nanosleep(&neg, NULL));
  SHOW(nanosleep(&zero, NULL));
  SHOW(syscall(SYS_nanosleep, BAD_PTR, NULL));
}

CASE(clock_nanosleep_modes)
// covers: clock_nanosleep
{
  struct timespec now, a, b, d = {0, 1000000};
  clock_gettime(CLOCK_MONOTONIC, &a);
  printf("relative %d\n", clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL));
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 2000000;
  if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
  printf("absolute %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL));
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("reached deadline %d\n", ns_between(now, b) >= 0);
  printf("past deadline %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL));
  struct timespec bad = {0, -5};
  printf("bad nsec %s\n", errname(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL)));
  printf("bad clock %s\n", errname(clock_nanosleep(12345, 0, &d, NULL)));
}
