// Linux x86-64 layouts and numbers of <sys/ioctl.h> and <termios.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

// ioctl(2).
inline constexpr unsigned long TCGETS = 0x5401, TCSETS = 0x5402, TIOCGWINSZ = 0x5413;
inline constexpr unsigned long TIOCGPGRP = 0x540f, FIONREAD = 0x541b, FIONBIO = 0x5421;
inline constexpr unsigned long FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;
// TIOCOUTQ (SIOCOUTQ on a socket): bytes sent but not yet taken by the peer.
inline constexpr unsigned long TIOCOUTQ = 0x5411;

}  // namespace libos::uapi
