// Linux numbers of <linux/fs.h> (one definition for the whole LibOS).
#pragma once

namespace libos::uapi {

// preadv2(2)/pwritev2(2) flags.
inline constexpr int RWF_HIPRI = 0x1, RWF_DSYNC = 0x2, RWF_SYNC = 0x4, RWF_NOWAIT = 0x8, RWF_APPEND = 0x10;

}  // namespace libos::uapi
