// Linux x86-64 numbers of <linux/memfd.h> (one definition for the whole LibOS).
#pragma once

namespace libos::uapi {

inline constexpr unsigned MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;

}  // namespace libos::uapi
