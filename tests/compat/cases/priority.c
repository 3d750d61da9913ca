// libc: glibc musl
// getpriority and setpriority: the nice value a program (or `nice`) sets is
// the one it reads back.
#include <sys/resource.h>

#include "compat.h"

CASE(nice_values)
// covers: getpriority setpriority
{
  errno = 0;
  SHOW(getpriority(PRIO_PROCESS, 0));
  SHOW(syscall(SYS_getpriority, PRIO_PROCESS, 0));  // the raw call: 20 - nice
  SHOW(setpriority(PRIO_PROCESS, 0, 5));
  SHOW(getpriority(PRIO_PROCESS, 0));
  SHOW(getpriority(PRIO_PROCESS, getpid()));
  SHOW(nice(3));
  SHOW(setpriority(PRIO_PROCESS, 0, 100));  // clamped to 19
  SHOW(getpriority(PRIO_PROCESS, 0));
  // Not compared: lowering it (the native run has no CAP_SYS_NICE in its
  // user namespace; shoal's uid 0 may), and PRIO_PGRP/PRIO_USER over the
  // host's other processes.
  SHOW(getpriority(7, 0));
  SHOW(setpriority(PRIO_PROCESS, 999999, 0));
  SHOW(getpriority(PRIO_USER, 12345));
}
