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

}  // namespace libos::uapi
