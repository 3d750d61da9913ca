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

// <netinet/in.h> for IPv6: IPPROTO_IPV6 options, struct sockaddr_in6.
inline constexpr int IPPROTO_IPV6 = 41;
inline constexpr int IPV6_V6ONLY = 26;
inline constexpr int IPV6_JOIN_GROUP = 20, IPV6_LEAVE_GROUP = 21;  // IPV6_ADD/DROP_MEMBERSHIP
struct Ipv6Mreq {
  uint8_t addr[16];
  int32_t ifindex;
};
static_assert(sizeof(Ipv6Mreq) == 20);
struct SockaddrIn6 {
  uint16_t family;
  uint16_t port;
  uint32_t flowinfo;
  uint8_t addr[16];
  uint32_t scope_id;
};
static_assert(sizeof(SockaddrIn6) == 28);

}  // namespace libos::uapi
