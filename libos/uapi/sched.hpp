// Linux x86-64 numbers of <linux/sched.h> (clone flags) (one definition for the whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

enum : uint64_t {
  CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800,
  CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000,
  CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000,
  CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000,
  CLONE_DETACHED = 0x400000, CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000,
  CSIGNAL = 0xff,
};
// Scheduling policies (sched_setscheduler(2)).
enum : int { SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5 };

}  // namespace libos::uapi
