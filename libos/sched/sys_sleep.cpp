// nanosleep and clock_nanosleep: the thread blocks until its deadline; the
// scheduler runs others meanwhile or, with none runnable, makes one block
// hypercall until the earliest deadline. A signal for this thread (a timer's
// SIGALRM, another thread's tgkill) ends the sleep with -EINTR and the
// remaining time in rem.
#include "core/errno.hpp"
#include "core/uaccess.hpp"
#include "sched/thread.hpp"
#include "sched/syscalls.hpp"
#include "sched/signal_state.hpp"
#include "time/clock.hpp"
#include "uapi/time.hpp"

using namespace libos;

namespace {

long read_timespec(const uapi::Timespec* ts, uint64_t* ns) {
  if (!user_readable(ts, sizeof(*ts))) return -EFAULT;
  if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= static_cast<int64_t>(uapi::kNsPerSec)) return -EINVAL;
  *ns = static_cast<uint64_t>(ts->sec) * uapi::kNsPerSec + static_cast<uint64_t>(ts->nsec);
  return 0;
}

long sleep_until(uint64_t deadline, uapi::Timespec* rem) {
  sched::Thread* t = sched::current();
  for (;;) {
    uint64_t now = monotonic_ns();
    if (now >= deadline) return 0;
    if (sig_deliverable(t) != 0) {
      if (rem != nullptr && user_writable(rem, sizeof(*rem))) {
        uint64_t left = deadline - now;
        rem->sec = static_cast<int64_t>(left / uapi::kNsPerSec);
        rem->nsec = static_cast<int64_t>(left % uapi::kNsPerSec);
      }
      return -EINTR;
    }
    sched::block(deadline);
  }
}

}  // namespace

long sys_nanosleep(const uapi::Timespec* req, uapi::Timespec* rem) {
  uint64_t ns;
  long r = read_timespec(req, &ns);
  if (r < 0) return r;
  return sleep_until(monotonic_ns() + ns, rem);
}

long sys_clock_nanosleep(int clock, int flags, const uapi::Timespec* req, uapi::Timespec* rem) {
  switch (clock) {
    case uapi::CLOCK_REALTIME:
    case uapi::CLOCK_MONOTONIC:
    case uapi::CLOCK_BOOTTIME:
    case uapi::CLOCK_TAI:
      break;
    case uapi::CLOCK_THREAD_CPUTIME_ID:
      return -EINVAL;
    case uapi::CLOCK_PROCESS_CPUTIME_ID:
      break;
    default:
      return -EINVAL;
  }
  uint64_t ns;
  long r = read_timespec(req, &ns);
  if (r < 0) return r;
  uint64_t now = monotonic_ns();
  uint64_t deadline;
  if ((flags & uapi::TIMER_ABSTIME) == 0) {
    deadline = now + ns;
  } else if (clock == uapi::CLOCK_REALTIME || clock == uapi::CLOCK_TAI) {
    uint64_t rt = realtime_ns();
    deadline = ns > rt ? now + (ns - rt) : now;
  } else {
    deadline = ns;
  }
  // An absolute sleep has no remaining time to report.
  return sleep_until(deadline, (flags & uapi::TIMER_ABSTIME) == 0 ? rem : nullptr);
}
