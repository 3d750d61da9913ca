// IPv6 on the device, first step (issue 11 point 6): the node answers
// neighbour discovery for its addresses (RFC 4861: a Neighbor Solicitation
// for one of them gets a Neighbor Advertisement) and ICMPv6 echo (RFC 4443),
// so `ping -6` reaches the instance. Its addresses: the link-local
// fe80::/64 address formed from the MAC (EUI-64, RFC 4291 appendix A), and
// the static address of `shoal run --ip6 ADDR/PREFIX` (StackConfig::ip6).
//
// Echo and ND replies go to the Ethernet source of the request (the
// neighbour itself, or the router that forwarded it). TCP and UDP run over
// IPv6 through stand-in addresses (inet/ipv6_peers.hpp): received segments
// and datagrams are checked (IPv6 pseudo-header checksum) and handed to the
// transports with 32-bit stand-ins; their output is rewritten into IPv6
// packets (Stack::ip6_begin/ip6_commit, ipv6_output.cpp) and resolved by a
// small neighbour cache (NS for an unknown destination, one packet held).
// Destinations: on-link ones (link-local, or in the --ip6 prefix), and any
// peer whose packets arrived (the answer goes back to the MAC it came from,
// a router's for an off-link peer). Extension headers and fragments are
// walked by ip6_walk (ipv6_ext.cpp); a UDP datagram longer than the MTU is
// sent in fragments (ipv6_output.cpp). Router discovery and SLAAC:
// ipv6_router.cpp. No multicast sockets.
#pragma once

#include "inet/env.hpp"

namespace libos::inet {

class Stack;
struct PacketBuf;

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
// loopback: sent by this stack to one of its own addresses.
void ip6_input(Stack& stack, const uint8_t* eth_src, const uint8_t* pkt, size_t len, bool loopback = false);
// The TCP/UDP pseudo-header sum of IPv6 (RFC 8200 8.1), unfolded.
uint32_t ip6_pseudo(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t len);
// An ICMPv6 destination unreachable about a received IPv6 packet; code4 is
// the ICMP (IPv4) code the transports use: port unreachable becomes
// ICMPv6's port unreachable, anything else "no route".
void ip6_unreachable(Stack& stack, const uint8_t* ip_packet, size_t len, uint8_t code4);
// An ICMPv6 Parameter Problem (RFC 4443 3.4) about a received packet (ip,
// len bytes) to the MAC it came from; pointer: the offset of the offending
// byte. Rate-limited with the other ICMP errors.
void ip6_param_problem(Stack& stack, const uint8_t* eth_src, const uint8_t* ip, size_t len, uint8_t code,
                       uint32_t pointer);
// Where a packet's upper layer starts, after its extension headers.
struct Ip6Upper {
  uint8_t proto;  // TCP, UDP or ICMPv6
  size_t off;     // from the start of the IPv6 header
};
// Walks the extension headers of a received packet for us (ip, len = 40 +
// its payload length): true when its upper layer is to be delivered
// (*up set), false when the packet was consumed (a fragment kept, an error
// sent, or dropped). When a fragment completed a datagram, *whole is the
// reassembled packet (owned: the caller frees it, on either answer) and
// *up is relative to whole->frame().
bool ip6_walk(Stack& stack, const uint8_t* eth_src, const uint8_t* ip, size_t len, bool loopback, Ip6Upper* up,
              PacketBuf** whole);
// Sends one ICMPv6 message of len bytes (checksum field zero: filled in)
// from src to dst at Ethernet address mac.
void ip6_send_icmp(Stack& stack, const uint8_t* mac, const uint8_t src[16], const uint8_t dst[16], uint8_t hops,
                   const uint8_t* msg, size_t len);
// Router discovery and SLAAC (ipv6_router.cpp): start soliciting (a stack
// without a static address), the solicitation and router-lifetime timers
// (returns the next deadline), and a received Router Advertisement.
void ip6_router_start(Stack& stack);
uint64_t ip6_router_timers(Stack& stack);
void ip6_router_advert(Stack& stack, const uint8_t* eth_src, const uint8_t* ip, const uint8_t* msg, size_t len);
// A Neighbor Solicitation for target (from our address src).
void ip6_solicit(Stack& stack, const uint8_t target[16], const uint8_t src[16]);
// The neighbour with stand-in standin is at mac: remembered, and the packet
// held for it sent.
void ip6_learn(Stack& stack, uint32_t standin, const uint8_t mac[6]);
// Sends a finished IPv6 frame (Ethernet header included) to `mac`, in
// fragments when it is longer than the MTU, and frees it.
void ip6_transmit(Stack& stack, PacketBuf* buf, const uint8_t mac[6]);
// The ICMPv6 checksum over the pseudo-header (RFC 8200 8.1): 0 when valid
// for a received message.
uint16_t icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t* msg, size_t len);

}  // namespace libos::inet
