// Linux x86-64 numbers of <linux/futex.h> (one definition for the whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

enum : int {
  FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
  FUTEX_WAKE_OP = 5, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
  FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256,
};

}  // namespace libos::uapi
