// Linux x86-64 numbers of <linux/futex.h> (one definition for the whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

enum : int {
  FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
  FUTEX_WAKE_OP = 5, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
  FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256,
};

// FUTEX_WAKE_OP: the operation on the second word, and the comparison.
enum : unsigned {
  FUTEX_OP_SET = 0, FUTEX_OP_ADD = 1, FUTEX_OP_OR = 2, FUTEX_OP_ANDN = 3, FUTEX_OP_XOR = 4,
  FUTEX_OP_OPARG_SHIFT = 8,
};
enum : unsigned {
  FUTEX_OP_CMP_EQ = 0, FUTEX_OP_CMP_NE = 1, FUTEX_OP_CMP_LT = 2, FUTEX_OP_CMP_LE = 3,
  FUTEX_OP_CMP_GT = 4, FUTEX_OP_CMP_GE = 5,
};

// Priority-inheritance and robust futexes: the operations, and the bits of a
// PI or robust futex word (owner tid | waiters | owner died).
enum : int {
  FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8, FUTEX_WAIT_REQUEUE_PI = 11,
  FUTEX_CMP_REQUEUE_PI = 12, FUTEX_LOCK_PI2 = 13,
};
inline constexpr uint32_t FUTEX_WAITERS = 0x80000000u;
inline constexpr uint32_t FUTEX_OWNER_DIED = 0x40000000u;
inline constexpr uint32_t FUTEX_TID_MASK = 0x3fffffffu;

// struct robust_list_head of <linux/futex.h>: the list a thread registers with
// set_robust_list; its entries' low bit says "PI futex".
struct RobustListHead {
  uint64_t list;             // first entry (struct robust_list*), or &list when empty
  int64_t futex_offset;      // from an entry to its futex word
  uint64_t list_op_pending;  // the entry being locked or unlocked, or 0
};
static_assert(sizeof(RobustListHead) == 24);  // set_robust_list's len
inline constexpr int kRobustListLimit = 2048;  // ROBUST_LIST_LIMIT: stops a looped list

}  // namespace libos::uapi
