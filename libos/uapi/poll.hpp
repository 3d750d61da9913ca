// Linux x86-64 layouts and numbers of <poll.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Pollfd {
  int32_t fd;
  int16_t events;
  int16_t revents;
};
static_assert(sizeof(Pollfd) == 8);

// poll(2).
inline constexpr int16_t POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8;
inline constexpr int16_t POLLHUP = 0x10, POLLNVAL = 0x20, POLLRDNORM = 0x40, POLLWRNORM = 0x100;
inline constexpr int16_t POLLRDBAND = 0x80, POLLWRBAND = 0x200;
inline constexpr int16_t POLLMSG = 0x400, POLLRDHUP = 0x2000;

}  // namespace libos::uapi
