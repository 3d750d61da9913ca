// Linux x86-64 numbers of <sys/random.h> (one definition for the whole LibOS).
#pragma once

namespace libos::uapi {

// getrandom(2) flags.
inline constexpr unsigned GRND_NONBLOCK = 0x1, GRND_RANDOM = 0x2, GRND_INSECURE = 0x4;

}  // namespace libos::uapi
