// Linux x86-64 structure layouts and constants for the core's system calls.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::lk {

struct Timespec {
  int64_t sec;
  int64_t nsec;
};
struct Timeval {
  int64_t sec;
  int64_t usec;
};
struct Itimerval {
  Timeval interval;
  Timeval value;
};
struct Itimerspec {
  Timespec interval;
  Timespec value;
};
struct Sigevent {
  int64_t value;   // union sigval
  int32_t signo;
  int32_t notify;
  int32_t tid;     // sigev_notify_thread_id
  uint8_t pad[64 - 20];
};
static_assert(sizeof(Sigevent) == 64);
struct Timezone {
  int32_t minuteswest;
  int32_t dsttime;
};
struct Utsname {
  char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};
struct Rlimit {
  uint64_t cur, max;
};
struct Sysinfo {
  int64_t uptime;
  uint64_t loads[3];
  uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
  uint16_t procs, pad;
  uint64_t totalhigh, freehigh;
  uint32_t mem_unit;
  char _f[20 - 2 * sizeof(long) - sizeof(int)];
};
static_assert(sizeof(Sysinfo) == 112);
struct Rusage {
  Timeval utime, stime;
  int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
      nsignals, nvcsw, nivcsw;
};
static_assert(sizeof(Rusage) == 144);
struct Tms {
  int64_t utime, stime, cutime, cstime;
};
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

inline constexpr uint64_t kNsPerSec = 1000000000ull;

// clock ids
enum : int {
  CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2,
  CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5,
  CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8,
  CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11,
};
inline constexpr int TIMER_ABSTIME = 1;

}  // namespace libos::lk
