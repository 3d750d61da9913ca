// Linux x86-64 numbers of <sys/epoll.h> (one definition for the whole LibOS). The event bits
// are poll(2)'s (uapi/poll.hpp) as epoll's unsigned mask, plus epoll's own input flags.
#pragma once

#include <stdint.h>

#include "uapi/poll.hpp"

namespace libos::uapi {

inline constexpr uint32_t EPOLLIN = uint16_t(POLLIN), EPOLLPRI = uint16_t(POLLPRI),
                          EPOLLOUT = uint16_t(POLLOUT), EPOLLERR = uint16_t(POLLERR),
                          EPOLLHUP = uint16_t(POLLHUP), EPOLLRDNORM = uint16_t(POLLRDNORM),
                          EPOLLRDBAND = uint16_t(POLLRDBAND), EPOLLWRNORM = uint16_t(POLLWRNORM),
                          EPOLLWRBAND = uint16_t(POLLWRBAND), EPOLLMSG = uint16_t(POLLMSG),
                          EPOLLRDHUP = uint16_t(POLLRDHUP);
inline constexpr uint32_t EPOLLEXCLUSIVE = 1u << 28, EPOLLWAKEUP = 1u << 29, EPOLLONESHOT = 1u << 30,
                          EPOLLET = 1u << 31;
inline constexpr int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
inline constexpr int EPOLL_CLOEXEC = 02000000;

// struct epoll_event, packed on x86-64 (12 bytes).
struct __attribute__((packed)) EpollEvent {
  uint32_t events;
  uint64_t data;
};
static_assert(sizeof(EpollEvent) == 12);
// The most events one epoll_wait may ask for (the kernel's EP_MAX_EVENTS, not exported).
inline constexpr int EP_MAX_EVENTS = 0x7fffffff / static_cast<int>(sizeof(EpollEvent));

}  // namespace libos::uapi
