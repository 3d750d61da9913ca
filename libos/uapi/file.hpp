// Linux x86-64 numbers of <sys/file.h> (flock) (one definition for the whole LibOS).
#pragma once

namespace libos::uapi {

inline constexpr int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

}  // namespace libos::uapi
