// Linux x86-64 layouts and numbers of <sys/resource.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "uapi/time.hpp"

namespace libos::uapi {

struct Rlimit {
  uint64_t cur, max;
};
struct Rusage {
  Timeval utime, stime;
  int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
      nsignals, nvcsw, nivcsw;
};
static_assert(sizeof(Rusage) == 144);


enum : int { RLIMIT_STACK = 3, RLIMIT_NOFILE = 7, RLIMIT_NPROC = 6, RLIMIT_MEMLOCK = 8,
             RLIMIT_SIGPENDING = 11, RLIMIT_MSGQUEUE = 12, RLIMIT_CORE = 4 };
inline constexpr int RLIM_NLIMITS = 16;
inline constexpr uint64_t RLIM_INFINITY = ~uint64_t{0};
// getrusage(2) who.
inline constexpr int RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

// getpriority/setpriority's `which`, and the range of nice values.
inline constexpr int PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
inline constexpr int MIN_NICE = -20, MAX_NICE = 19;

}  // namespace libos::uapi
