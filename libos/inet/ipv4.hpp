// IPv4 receive (RFC 791, RFC 1122 3.2.1): header validation, address
// filtering, reassembly of fragments and dispatch to ICMP, UDP and TCP. The
// send side is Stack::ip_begin/ip_commit (ipv4_output.cpp); ICMP lives here
// too, as it is IPv4's own control protocol.
#pragma once

#include "inet/icmp.hpp"
#include "inet/reassembly.hpp"
#include "inet/stack.hpp"

namespace libos::inet {

inline constexpr uint8_t kDefaultTtl = 64;
inline constexpr uint16_t kIpFlagDf = 0x4000, kIpFlagMf = 0x2000, kIpOffsetMask = 0x1fff;

// The subnet mask of a prefix length, in network byte order.
inline uint32_t prefix_mask(uint8_t prefix) {
  if (prefix == 0) return 0;
  if (prefix >= 32) return 0xffffffffu;
  return hton32(~uint32_t{0} << (32 - prefix));
}
inline bool in_subnet(const StackConfig& c, uint32_t ip) {
  uint32_t m = prefix_mask(c.prefix);
  return (ip & m) == (c.ip & m);
}
// The limited broadcast or our subnet's directed broadcast (not for /31, /32).
inline bool is_broadcast(const StackConfig& c, uint32_t ip) {
  if (ip == 0xffffffffu) return true;
  if (c.prefix >= 31) return false;
  uint32_t m = prefix_mask(c.prefix);
  return in_subnet(c, ip) && (ip & ~m) == ~m;
}
// 224.0.0.0/4 and 240.0.0.0/4 (class D, E): never a source, not routed here.
inline bool is_multicast_or_reserved(uint32_t ip) {
  return (reinterpret_cast<const uint8_t*>(&ip)[0] & 0xe0) == 0xe0;
}

class Ipv4 {
 public:
  explicit Ipv4(Stack& stack);
  Ipv4(const Ipv4&) = delete;
  Ipv4& operator=(const Ipv4&) = delete;

  // The IPv4 packet of a received frame (after the Ethernet header; may be
  // followed by Ethernet padding, which the total length cuts off).
  // loopback: sent by this stack to itself (our address as source is fine).
  void input(const uint8_t* pkt, size_t len, bool loopback = false);
  uint64_t run_timers() { return m_reassembly.run_timers(); }
  uint64_t next_deadline() const { return m_reassembly.next_deadline(); }

  uint16_t next_id() { return m_next_id++; }
  Icmp& icmp() { return m_icmp; }
  Reassembly& reassembly() { return m_reassembly; }

 private:
  // A whole datagram (never a fragment): pkt has a valid header of hl bytes
  // and total bytes in all.
  void deliver(const uint8_t* pkt, size_t hl, size_t total, bool broadcast);

  Stack& m_stack;
  Reassembly m_reassembly;
  Icmp m_icmp;
  uint16_t m_next_id;
};

}  // namespace libos::inet
