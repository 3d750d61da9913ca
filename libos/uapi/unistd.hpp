// Linux x86-64 layouts and numbers of <unistd.h> (lseek, access) (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

// lseek whence.
inline constexpr int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;

// access(2) modes.
inline constexpr int F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;

}  // namespace libos::uapi
