// Linux x86-64 layouts and numbers of <sys/times.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Tms {
  int64_t utime, stime, cutime, cstime;
};

}  // namespace libos::uapi
