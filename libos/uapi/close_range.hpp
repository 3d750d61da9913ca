// Linux numbers of <linux/close_range.h> (one definition for the whole LibOS).
#pragma once

namespace libos::uapi {

inline constexpr unsigned CLOSE_RANGE_UNSHARE = 1u << 1, CLOSE_RANGE_CLOEXEC = 1u << 2;

}  // namespace libos::uapi
