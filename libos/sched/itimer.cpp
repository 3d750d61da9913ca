// Interval timers: alarm, setitimer/getitimer and POSIX timers
// (timer_create & co.). There are no timer interrupts: a timer is a monotonic
// deadline, checked at every system call's exit while one is armed
// (signal_deliver) and by the scheduler's idle loop (signal_timers_run), so
// its signal arrives at the next scheduling point after it expires.
// ITIMER_VIRTUAL and ITIMER_PROF count on the same monotonic clock as
// ITIMER_REAL (the one vCPU runs the program whenever it is not idle), and
// deliver SIGVTALRM and SIGPROF. Missed periods of a periodic timer are
// counted as overruns, not delivered one by one.
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "sched/thread.hpp"
#include "sched/syscalls.hpp"
#include "sched/preempt.hpp"
#include "sched/signal_state.hpp"
#include "time/clock.hpp"
#include "uapi/signal.hpp"
#include "uapi/time.hpp"

namespace libos {

uint64_t g_timer_deadline = sched::kNoDeadline;

namespace {

constexpr int kItimers = uapi::ITIMER_PROF + 1;  // the three setitimer(2) timers
constexpr int kPosixTimers = 32;
using uapi::SIGEV_NONE, uapi::SIGEV_SIGNAL, uapi::SIGEV_THREAD_ID;

struct Timer {
  bool used;
  bool realtime;       // CLOCK_REALTIME: absolute times are on that clock
  int sig;
  int notify;
  int tid;             // SIGEV_THREAD_ID target
  int64_t value;       // sigval
  uint64_t next;       // monotonic deadline, kNoDeadline when disarmed
  uint64_t interval;
  int overrun;
};
Timer g_timers[kItimers + kPosixTimers];

void recompute() {
  uint64_t next = sched::kNoDeadline;
  for (const Timer& t : g_timers) {
    if (t.used && t.next < next) next = t.next;
  }
  g_timer_deadline = next;
}

void fire(int index, Timer& t) {
  if (index < kItimers) {
    signal_post(t.sig, uapi::SI_KERNEL, nullptr);
    return;
  }
  if (t.notify == SIGEV_NONE) return;
  signal_set_info(t.sig, uapi::SI_TIMER, index - kItimers, t.value);
  sched::Thread* target = t.notify == SIGEV_THREAD_ID ? sched::find(t.tid) : nullptr;
  signal_post(t.sig, kSiPreset, target);
}

uint64_t timeval_ns(const uapi::Timeval& tv) {
  return static_cast<uint64_t>(tv.sec) * uapi::kNsPerSec + static_cast<uint64_t>(tv.usec) * 1000;
}
uapi::Timeval ns_timeval(uint64_t ns) {
  // Linux rounds a remaining time up to whole microseconds.
  ns = (ns + 999) / 1000 * 1000;
  return {static_cast<int64_t>(ns / uapi::kNsPerSec), static_cast<int64_t>(ns % uapi::kNsPerSec / 1000)};
}
uint64_t timespec_ns(const uapi::Timespec& ts) {
  return static_cast<uint64_t>(ts.sec) * uapi::kNsPerSec + static_cast<uint64_t>(ts.nsec);
}
uapi::Timespec ns_timespec(uint64_t ns) {
  return {static_cast<int64_t>(ns / uapi::kNsPerSec), static_cast<int64_t>(ns % uapi::kNsPerSec)};
}
bool timeval_ok(const uapi::Timeval& tv) { return tv.sec >= 0 && tv.usec >= 0 && tv.usec < 1000000; }
bool timespec_ok(const uapi::Timespec& ts) {
  return ts.sec >= 0 && ts.nsec >= 0 && ts.nsec < static_cast<int64_t>(uapi::kNsPerSec);
}

uint64_t remaining(const Timer& t, uint64_t now) {
  if (t.next == sched::kNoDeadline) return 0;
  return t.next > now ? t.next - now : 1;
}

void arm(Timer& t, uint64_t deadline, uint64_t interval) {
  t.next = deadline;
  t.interval = interval;
  t.overrun = 0;
  recompute();
  if (deadline != sched::kNoDeadline) {
    // A program spinning until its alarm fires (`alarm(1); while (!flag);`)
    // makes no system call at which the signal could be taken: the time
    // slice's end is where it arrives (sched/preempt.hpp counts an armed
    // timer as one more thing ready to run).
    sched::preempt_enable();
    sched::preempt_note_wake();
  }
}

Timer* posix_timer(int id) {
  if (id < 0 || id >= kPosixTimers || !g_timers[kItimers + id].used) return nullptr;
  return &g_timers[kItimers + id];
}

}  // namespace

uint64_t signal_timers_run(uint64_t now) {
  if (g_timer_deadline > now) return g_timer_deadline;
  for (int i = 0; i < kItimers + kPosixTimers; ++i) {
    Timer& t = g_timers[i];
    if (!t.used || t.next > now) continue;
    if (t.interval == 0) {
      t.next = sched::kNoDeadline;
    } else {
      uint64_t missed = (now - t.next) / t.interval;
      t.overrun = static_cast<int>(missed);
      t.next += (missed + 1) * t.interval;
    }
    fire(i, t);
  }
  recompute();
  return g_timer_deadline;
}

}  // namespace libos

using namespace libos;

void libos::timers_reset_after_fork() {
  for (Timer& t : g_timers) t = Timer{};
  recompute();
}

long sys_getitimer(int which, uapi::Itimerval* value) {
  if (which < 0 || which >= kItimers) return -EINVAL;
  if (!user_writable(value, sizeof(*value))) return -EFAULT;
  const Timer& t = g_timers[which];
  uint64_t now = monotonic_ns();
  value->interval = ns_timeval(t.used ? t.interval : 0);
  value->value = ns_timeval(t.used ? remaining(t, now) : 0);
  return 0;
}

long sys_setitimer(int which, const uapi::Itimerval* value, uapi::Itimerval* old) {
  if (which < 0 || which >= kItimers) return -EINVAL;
  uapi::Itimerval fresh{};
  if (value != nullptr) {
    if (!user_readable(value, sizeof(*value))) return -EFAULT;
    fresh = *value;
    if (!timeval_ok(fresh.value) || !timeval_ok(fresh.interval)) return -EINVAL;
  }
  if (old != nullptr) {
    long r = sys_getitimer(which, old);
    if (r < 0) return r;
  }
  static constexpr int kSigs[kItimers] = {uapi::SIGALRM, uapi::SIGVTALRM, uapi::SIGPROF};
  Timer& t = g_timers[which];
  t.used = true;
  t.sig = kSigs[which];
  uint64_t v = timeval_ns(fresh.value);
  if (v == 0) {
    arm(t, sched::kNoDeadline, 0);
  } else {
    arm(t, monotonic_ns() + v, timeval_ns(fresh.interval));
  }
  return 0;
}

long sys_alarm(unsigned seconds) {
  uapi::Itimerval fresh{};
  uapi::Itimerval old{};
  fresh.value.sec = seconds;
  // The LibOS's own structures: sys_setitimer's checks see kernel memory.
  Timer& t = g_timers[0];
  uint64_t now = monotonic_ns();
  old.value = ns_timeval(t.used ? remaining(t, now) : 0);
  t.used = true;
  t.sig = uapi::SIGALRM;
  arm(t, seconds == 0 ? sched::kNoDeadline : now + fresh.value.sec * uapi::kNsPerSec, 0);
  unsigned prev = static_cast<unsigned>(old.value.sec);
  if ((prev == 0 && old.value.usec != 0) || old.value.usec >= 500000) ++prev;
  return prev;
}

long sys_timer_create(int clock, const uapi::Sigevent* sev, int* id) {
  bool realtime = false;
  switch (clock) {
    case uapi::CLOCK_REALTIME: case uapi::CLOCK_TAI: realtime = true; break;
    case uapi::CLOCK_MONOTONIC: case uapi::CLOCK_BOOTTIME: case uapi::CLOCK_PROCESS_CPUTIME_ID:
    case uapi::CLOCK_THREAD_CPUTIME_ID:
      break;
    default:
      return -EINVAL;
  }
  uapi::Sigevent ev{};
  if (sev != nullptr) {
    if (!user_readable(sev, sizeof(*sev))) return -EFAULT;
    ev = *sev;
    if (ev.notify != SIGEV_NONE && (ev.signo < 1 || ev.signo > kSignals)) return -EINVAL;
    if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_NONE && ev.notify != SIGEV_THREAD_ID) {
      return -EINVAL;
    }
    if (ev.notify == SIGEV_THREAD_ID && sched::find(ev.tid) == nullptr) return -EINVAL;
  }
  if (!user_writable(id, sizeof(int))) return -EFAULT;
  for (int i = 0; i < kPosixTimers; ++i) {
    Timer& t = g_timers[kItimers + i];
    if (t.used) continue;
    t = {};
    t.used = true;
    t.realtime = realtime;
    t.next = sched::kNoDeadline;
    if (sev == nullptr) {
      t.sig = uapi::SIGALRM;
      t.notify = SIGEV_SIGNAL;
      t.value = i;
    } else {
      t.sig = ev.signo;
      t.notify = ev.notify;
      t.tid = ev.tid;
      t.value = ev.value;
    }
    *id = i;
    return 0;
  }
  return -EAGAIN;
}

long sys_timer_gettime(int id, uapi::Itimerspec* value) {
  Timer* t = posix_timer(id);
  if (t == nullptr) return -EINVAL;
  if (!user_writable(value, sizeof(*value))) return -EFAULT;
  value->interval = ns_timespec(t->interval);
  value->value = ns_timespec(remaining(*t, monotonic_ns()));
  return 0;
}

long sys_timer_settime(int id, int flags, const uapi::Itimerspec* value, uapi::Itimerspec* old) {
  Timer* t = posix_timer(id);
  if (t == nullptr) return -EINVAL;
  if (!user_readable(value, sizeof(*value))) return -EFAULT;
  uapi::Itimerspec fresh = *value;
  if (!timespec_ok(fresh.value) || !timespec_ok(fresh.interval)) return -EINVAL;
  if (old != nullptr) {
    long r = sys_timer_gettime(id, old);
    if (r < 0) return r;
  }
  uint64_t v = timespec_ns(fresh.value);
  uint64_t now = monotonic_ns();
  uint64_t deadline;
  if (v == 0) {
    deadline = sched::kNoDeadline;
  } else if ((flags & uapi::TIMER_ABSTIME) == 0) {
    deadline = now + v;
  } else if (t->realtime) {
    uint64_t rt = realtime_ns();
    deadline = v > rt ? now + (v - rt) : now;
  } else {
    deadline = v;
  }
  arm(*t, deadline, timespec_ns(fresh.interval));
  return 0;
}

long sys_timer_getoverrun(int id) {
  Timer* t = posix_timer(id);
  if (t == nullptr) return -EINVAL;
  return t->overrun;
}

long sys_timer_delete(int id) {
  Timer* t = posix_timer(id);
  if (t == nullptr) return -EINVAL;
  *t = {};
  recompute();
  return 0;
}
