// clock_gettime and friends over the TSC clock. There is no vDSO: glibc and
// musl fall back to these system calls (function calls after rewriting).
#include "core/errno.hpp"
#include "core/uaccess.hpp"
#include "time/syscalls.hpp"
#include "time/clock.hpp"
#include "uapi/time.hpp"
#include "uapi/times.hpp"

using namespace libos;

namespace {

constexpr uint64_t kCoarseResolutionNs = 4000000;  // 4 ms: HZ=250, as Linux reports

long clock_now(int clock, uint64_t* ns) {
  switch (clock) {
    case uapi::CLOCK_REALTIME:
    case uapi::CLOCK_REALTIME_COARSE:
    case uapi::CLOCK_TAI:
    case uapi::CLOCK_REALTIME_ALARM:
      *ns = realtime_ns();
      return 0;
    case uapi::CLOCK_MONOTONIC:
    case uapi::CLOCK_MONOTONIC_RAW:
    case uapi::CLOCK_MONOTONIC_COARSE:
    case uapi::CLOCK_BOOTTIME:
    case uapi::CLOCK_BOOTTIME_ALARM:
    // CPU time is approximated by elapsed time: one vCPU, no accounting.
    case uapi::CLOCK_PROCESS_CPUTIME_ID:
    case uapi::CLOCK_THREAD_CPUTIME_ID:
      *ns = monotonic_ns();
      return 0;
    default:
      return -EINVAL;
  }
}

void to_timespec(uint64_t ns, uapi::Timespec* ts) {
  ts->sec = static_cast<int64_t>(ns / uapi::kNsPerSec);
  ts->nsec = static_cast<int64_t>(ns % uapi::kNsPerSec);
}

}  // namespace

long sys_clock_gettime(int clock, uapi::Timespec* ts) {
  uint64_t ns;
  long r = clock_now(clock, &ns);
  if (r < 0) return r;
  if (!user_writable(ts, sizeof(*ts))) return -EFAULT;
  to_timespec(ns, ts);
  return 0;
}

long sys_clock_getres(int clock, uapi::Timespec* ts) {
  uint64_t ns;
  long r = clock_now(clock, &ns);
  if (r < 0) return r;
  if (ts == nullptr) return 0;
  if (!user_writable(ts, sizeof(*ts))) return -EFAULT;
  bool coarse = clock == uapi::CLOCK_REALTIME_COARSE || clock == uapi::CLOCK_MONOTONIC_COARSE;
  to_timespec(coarse ? kCoarseResolutionNs : 1, ts);
  return 0;
}

long sys_gettimeofday(uapi::Timeval* tv, uapi::Timezone* tz) {
  if (tv != nullptr) {
    if (!user_writable(tv, sizeof(*tv))) return -EFAULT;
    uint64_t ns = realtime_ns();
    tv->sec = static_cast<int64_t>(ns / uapi::kNsPerSec);
    tv->usec = static_cast<int64_t>(ns % uapi::kNsPerSec / 1000);
  }
  if (tz != nullptr) {
    if (!user_writable(tz, sizeof(*tz))) return -EFAULT;
    tz->minuteswest = 0;
    tz->dsttime = 0;
  }
  return 0;
}

long sys_time(int64_t* t) {
  auto now = static_cast<int64_t>(realtime_ns() / uapi::kNsPerSec);
  if (t != nullptr) {
    if (!user_writable(t, sizeof(*t))) return -EFAULT;
    *t = now;
  }
  return now;
}

long sys_times(uapi::Tms* buf) {
  // Clock ticks (AT_CLKTCK = 100) since boot; all time counts as user time.
  auto ticks = static_cast<int64_t>(monotonic_ns() / 10000000);
  if (buf != nullptr) {
    if (!user_writable(buf, sizeof(*buf))) return -EFAULT;
    buf->utime = ticks;
    buf->stime = 0;
    buf->cutime = 0;
    buf->cstime = 0;
  }
  return ticks;
}
