// Linux x86-64 layouts and numbers of <linux/limits.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

// Limits.
inline constexpr size_t kPathMax = 4096;
inline constexpr size_t kNameMax = 255;
inline constexpr int kMaxSymlinks = 40;
// The most one read or write moves (the kernel's MAX_RW_COUNT, INT_MAX rounded down to a page;
// linux/fs.h, not exported): longer requests are cut to it.
inline constexpr size_t MAX_RW_COUNT = 0x7ffff000;

}  // namespace libos::uapi
