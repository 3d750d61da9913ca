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

}  // namespace libos::uapi
