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

}  // namespace libos::uapi
