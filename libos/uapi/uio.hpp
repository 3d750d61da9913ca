// Linux x86-64 layouts and numbers of <sys/uio.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Iovec {
  void* base;
  size_t len;
};
static_assert(sizeof(Iovec) == 16);

inline constexpr int kIovMax = 1024;

}  // namespace libos::uapi
