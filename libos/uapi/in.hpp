// Linux x86-64 layouts and numbers of <netinet/in.h> (one definition for the whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

inline constexpr int IPPROTO_IP = 0, IPPROTO_TCP = 6, IPPROTO_UDP = 17;
// setsockopt/getsockopt at IPPROTO_IP.
inline constexpr int IP_TOS = 1, IP_TTL = 2;

// struct sockaddr_in: port and address in network byte order.
struct SockaddrIn {
  uint16_t family;
  uint16_t port;
  uint32_t addr;
  uint8_t zero[8];
};
static_assert(sizeof(SockaddrIn) == 16);

}  // namespace libos::uapi
