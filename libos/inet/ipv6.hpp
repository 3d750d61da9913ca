// IPv6 on the device, first step (issue 11 point 6): the node answers
// neighbour discovery for its addresses (RFC 4861: a Neighbor Solicitation
// for one of them gets a Neighbor Advertisement) and ICMPv6 echo (RFC 4443),
// so `ping -6` reaches the instance. Its addresses: the link-local
// fe80::/64 address formed from the MAC (EUI-64, RFC 4291 appendix A), and
// the static address of `shoal run --ip6 ADDR/PREFIX` (StackConfig::ip6).
//
// Replies go to the Ethernet source of the request (the neighbour itself,
// or the router that forwarded it), so no neighbour cache is needed to
// answer. No extension headers (a packet carrying one is dropped), no
// fragments, no router discovery or SLAAC, and no TCP or UDP over IPv6 yet:
// AF_INET6 sockets carry IPv4 and ::1 (libos/net/inet6_addr.hpp).
#pragma once

#include "inet/env.hpp"

namespace libos::inet {

class Stack;

inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr size_t kIp6Header = 40;
inline constexpr uint8_t kProtoIcmp6 = 58;

// Whether a 16-byte address is one of the stack's own (link-local or static).
bool ip6_is_ours(const Stack& stack, const uint8_t addr[16]);
// The link-local address the stack derives from its MAC.
void ip6_link_local(const uint8_t mac[6], uint8_t out[16]);
// Whether a destination MAC is one the stack listens to for IPv6: the
// all-nodes group 33:33:00:00:00:01 and the solicited-node groups of its
// addresses (33:33:ff:xx:xx:xx).
bool ip6_mac_wanted(const Stack& stack, const uint8_t mac[6]);
// One received IPv6 packet (after the Ethernet header); eth_src is the
// sender's MAC, where the answers go.
void ip6_input(Stack& stack, const uint8_t* eth_src, const uint8_t* pkt, size_t len);
// The ICMPv6 checksum over the pseudo-header (RFC 8200 8.1): 0 when valid
// for a received message.
uint16_t icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t* msg, size_t len);

}  // namespace libos::inet
