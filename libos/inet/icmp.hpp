// ICMP (RFC 792, RFC 1122 3.2.2): echo replies, destination unreachable
// errors we send (rate-limited by a token bucket, never about an ICMP error,
// a non-first fragment or a broadcast), and received errors handed to the
// transport that sent the quoted packet.
#pragma once

#include "inet/env.hpp"

namespace libos::inet {

class Stack;

class Icmp {
 public:
  static constexpr uint8_t kEchoReply = 0, kUnreachable = 3, kSourceQuench = 4, kRedirect = 5,
                           kEchoRequest = 8, kTimeExceeded = 11, kParamProblem = 12;
  static constexpr uint8_t kNetUnreachable = 0, kHostUnreachable = 1, kProtoUnreachable = 2,
                           kPortUnreachable = 3, kFragNeeded = 4;
  // Errors we send: a burst of kBurst, then one per kInterval.
  static constexpr uint32_t kBurst = 50;
  static constexpr uint64_t kInterval = 10'000'000;  // 10 ms: 100 per second

  explicit Icmp(Stack& stack) : m_stack(stack) {}

  // A received ICMP message (the IPv4 payload) from src; broadcast: the
  // packet was sent to a broadcast address (no echo reply, as Linux's
  // icmp_echo_ignore_broadcasts).
  void input(uint32_t src, const uint8_t* msg, size_t len, bool broadcast);
  // An error of type/code about a received packet (its IPv4 header and the
  // first 8 bytes of its payload are quoted), subject to RFC 1122's rules
  // and the rate limit.
  void send_error(uint8_t type, uint8_t code, const uint8_t* pkt, size_t len);
  // One error may be sent now (the token bucket, shared with ICMPv6's errors).
  bool take_token();

 private:
  void echo_reply(uint32_t src, const uint8_t* msg, size_t len);
  void error_received(uint8_t type, uint8_t code, const uint8_t* quoted, size_t len);

  Stack& m_stack;
  uint32_t m_tokens = kBurst;
  uint64_t m_refilled = 0;
};

}  // namespace libos::inet
