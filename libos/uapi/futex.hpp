// Linux x86-64 numbers of <linux/futex.h> (one definition for the whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

enum : int {
  FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
  FUTEX_WAKE_OP = 5, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
  FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256,
};
// struct robust_list_head: what set_robust_list registers (its size is the call's len).
struct RobustListHead {
  uint64_t list;             // struct robust_list { next }
  int64_t futex_offset;
  uint64_t list_op_pending;
};
static_assert(sizeof(RobustListHead) == 24);

// FUTEX_WAKE_OP: the operation on the second word, and the comparison.
enum : unsigned {
  FUTEX_OP_SET = 0, FUTEX_OP_ADD = 1, FUTEX_OP_OR = 2, FUTEX_OP_ANDN = 3, FUTEX_OP_XOR = 4,
  FUTEX_OP_OPARG_SHIFT = 8,
};
enum : unsigned {
  FUTEX_OP_CMP_EQ = 0, FUTEX_OP_CMP_NE = 1, FUTEX_OP_CMP_LT = 2, FUTEX_OP_CMP_LE = 3,
  FUTEX_OP_CMP_GT = 4, FUTEX_OP_CMP_GE = 5,
};

}  // namespace libos::uapi
