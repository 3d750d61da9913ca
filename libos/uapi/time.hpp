// Linux x86-64 layouts and numbers of <time.h> and <sys/time.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Timespec {
  int64_t sec;
  int64_t nsec;
};
static_assert(sizeof(Timespec) == 16);

struct Timeval {
  int64_t sec;
  int64_t usec;
};
static_assert(sizeof(Timeval) == 16);
struct Itimerval {
  Timeval interval;
  Timeval value;
};
struct Itimerspec {
  Timespec interval;
  Timespec value;
};
struct Timezone {
  int32_t minuteswest;
  int32_t dsttime;
};

inline constexpr uint64_t kNsPerSec = 1000000000ull;

// clock ids
enum : int {
  CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2,
  CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5,
  CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8,
  CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11,
};
inline constexpr int TIMER_ABSTIME = 1;
// setitimer(2) which.
inline constexpr int ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;

}  // namespace libos::uapi
