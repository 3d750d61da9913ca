// getpriority and setpriority: the process's nice value. There is one vCPU
// and a cooperative scheduler (sched/), so the value orders nothing; it is
// kept so that `nice`, `renice`-style wrappers and programs that read it back
// see what they set, as on Linux. One value for the process (Linux keeps one
// per thread; PRIO_PROCESS with a thread id names the same value here).
#include "core/errno.hpp"
#include "sched/syscalls.hpp"
#include "sched/thread.hpp"
#include "syscalls/handlers.hpp"
#include "uapi/resource.hpp"

namespace {

using namespace libos;
using namespace libos::uapi;

int g_nice = 0;

// 0 if who names this process (or one of its threads, its group, its user)
// under which, -ESRCH if nothing, -EINVAL for an unknown which.
long check_who(int which, int who) {
  if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER) return -EINVAL;
  if (who == 0) return 0;
  if (which == PRIO_USER) return who == 0 ? 0 : -ESRCH;  // every program runs as uid 0
  if (who == sys_getpid()) return 0;
  if (which == PRIO_PROCESS && who > 0 && libos::sched::find(who) != nullptr) return 0;
  return -ESRCH;
}

}  // namespace

long sys_getpriority(int which, int who) {
  long r = check_who(which, who);
  if (r < 0) return r;
  // The system call returns 20 - nice (1..40), never negative; the C
  // library turns it back into the nice value.
  return 20 - g_nice;
}

long sys_setpriority(int which, int who, int nice) {
  long r = check_who(which, who);
  if (r < 0) return r;
  if (nice < MIN_NICE) nice = MIN_NICE;
  if (nice > MAX_NICE) nice = MAX_NICE;
  // Lowering it needs CAP_SYS_NICE, which uid 0 has.
  g_nice = nice;
  return 0;
}
