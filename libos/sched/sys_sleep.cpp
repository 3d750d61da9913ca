// nanosleep and clock_nanosleep: the thread blocks until its deadline; the
// scheduler runs others meanwhile or, with none runnable, makes one block
// hypercall until the earliest deadline. Nothing interrupts a sleep (no
// asynchronous signals yet), so rem is never written.
#include "core/errno.hpp"
#include "core/uaccess.hpp"
#include "sched/thread.hpp"
#include "syscalls/handlers.hpp"
#include "time/clock.hpp"

using namespace libos;

namespace {

long read_timespec(const lk::Timespec* ts, uint64_t* ns) {
  if (!user_readable(ts, sizeof(*ts))) return -EFAULT;
  if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= static_cast<int64_t>(lk::kNsPerSec)) return -EINVAL;
  *ns = static_cast<uint64_t>(ts->sec) * lk::kNsPerSec + static_cast<uint64_t>(ts->nsec);
  return 0;
}

void sleep_until(uint64_t deadline) {
  while (monotonic_ns() < deadline) sched::block(deadline);
}

}  // namespace

long sys_nanosleep(const lk::Timespec* req, lk::Timespec* rem) {
  (void)rem;
  uint64_t ns;
  long r = read_timespec(req, &ns);
  if (r < 0) return r;
  sleep_until(monotonic_ns() + ns);
  return 0;
}

long sys_clock_nanosleep(int clock, int flags, const lk::Timespec* req, lk::Timespec* rem) {
  (void)rem;
  switch (clock) {
    case lk::CLOCK_REALTIME:
    case lk::CLOCK_MONOTONIC:
    case lk::CLOCK_BOOTTIME:
    case lk::CLOCK_TAI:
      break;
    case lk::CLOCK_THREAD_CPUTIME_ID:
      return -EINVAL;
    case lk::CLOCK_PROCESS_CPUTIME_ID:
      break;
    default:
      return -EINVAL;
  }
  uint64_t ns;
  long r = read_timespec(req, &ns);
  if (r < 0) return r;
  uint64_t now = monotonic_ns();
  uint64_t deadline;
  if ((flags & lk::TIMER_ABSTIME) == 0) {
    deadline = now + ns;
  } else if (clock == lk::CLOCK_REALTIME || clock == lk::CLOCK_TAI) {
    uint64_t rt = realtime_ns();
    deadline = ns > rt ? now + (ns - rt) : now;
  } else {
    deadline = ns;
  }
  sleep_until(deadline);
  return 0;
}
