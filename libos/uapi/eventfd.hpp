// Linux x86-64 numbers of <sys/eventfd.h> (one definition for the whole LibOS).
#pragma once

#include "uapi/fcntl.hpp"

namespace libos::uapi {

inline constexpr int EFD_SEMAPHORE = 1, EFD_CLOEXEC = O_CLOEXEC, EFD_NONBLOCK = O_NONBLOCK;

}  // namespace libos::uapi
