#include "inet/icmp.hpp"

#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/ipv4.hpp"
#include "inet/tcp.hpp"
#include "inet/udp.hpp"

namespace libos::inet {

namespace {
constexpr size_t kIcmpHeader = 8;

bool is_error_type(uint8_t type) {
  return type == Icmp::kUnreachable || type == Icmp::kSourceQuench || type == Icmp::kRedirect ||
         type == Icmp::kTimeExceeded || type == Icmp::kParamProblem;
}
}  // namespace

void Icmp::input(uint32_t src, const uint8_t* msg, size_t len, bool broadcast) {
  if (len < kIcmpHeader || checksum(msg, len) != 0) {
    ++m_stack.stats().rx_bad_icmp;
    return;
  }
  if (broadcast) return;
  switch (msg[0]) {
    case kEchoRequest:
      echo_reply(src, msg, len);
      return;
    case kUnreachable:
    case kTimeExceeded:
    case kParamProblem:
      error_received(msg[0], msg[1], msg + kIcmpHeader, len - kIcmpHeader);
      return;
    default:
      return;  // replies to pings we never sent, redirects (we keep our routes), ...
  }
}

void Icmp::echo_reply(uint32_t src, const uint8_t* msg, size_t len) {
  IpTx tx;
  // Large echoes (ping -s 4000) arrive fragmented and leave fragmented.
  uint8_t* out = m_stack.ip_begin(src, kProtoIcmp, len, &tx);
  if (out == nullptr) return;
  memcpy(out, msg, len);
  out[0] = kEchoReply;
  out[1] = 0;
  store16(out + 2, 0);
  uint16_t sum = checksum(out, len);
  memcpy(out + 2, &sum, 2);
  m_stack.ip_commit(&tx);
  ++m_stack.stats().icmp_echo_answered;
}

// The quoted packet must be one we sent: a whole IPv4 header from one of our
// addresses (ours, or 127/8 for what we sent ourselves over the loopback)
// and the 8 bytes that hold the transport's ports.
void Icmp::error_received(uint8_t type, uint8_t code, const uint8_t* q, size_t len) {
  if (len < kIpHeader || (q[0] >> 4) != 4) {
    ++m_stack.stats().rx_bad_icmp;
    return;
  }
  size_t hl = size_t{q[0] & 15u} * 4;
  if (hl < kIpHeader || len < hl + 8 || !m_stack.is_local(load_addr(q + 12))) {
    ++m_stack.stats().rx_bad_icmp;
    return;
  }
  if (q[9] == kProtoTcp)
    m_stack.tcp().icmp_error(type, code, q, len);
  else if (q[9] == kProtoUdp)
    m_stack.udp().icmp_error(type, code, q, len);
}

bool Icmp::take_token() {
  uint64_t now = m_stack.now();
  if (now > m_refilled) {
    uint64_t earned = (now - m_refilled) / kInterval;
    if (earned > 0) {
      m_tokens = earned >= kBurst - m_tokens ? kBurst : m_tokens + static_cast<uint32_t>(earned);
      m_refilled = m_tokens == kBurst ? now : m_refilled + earned * kInterval;
    }
  } else if (now < m_refilled) {
    m_refilled = now;  // the clock was set back (tests): restart the bucket's clock
  }
  if (m_tokens == 0) return false;
  --m_tokens;
  return true;
}

void Icmp::send_error(uint8_t type, uint8_t code, const uint8_t* pkt, size_t len) {
  const StackConfig& cfg = m_stack.config();
  if (len < kIpHeader) return;
  size_t hl = size_t{pkt[0] & 15u} * 4;
  if (hl < kIpHeader || hl > len) return;
  uint32_t src = load_addr(pkt + 12);
  uint32_t dst = load_addr(pkt + 16);
  // RFC 1122 3.2.2: never about a broadcast/multicast, a non-initial
  // fragment, an ICMP error, or to a source that is not a single host.
  if (!m_stack.is_local(dst) || is_broadcast(cfg, src) || is_multicast_or_reserved(src) || src == 0) return;
  if ((load16(pkt + 6) & kIpOffsetMask) != 0) return;
  if (pkt[9] == kProtoIcmp && (len < hl + 1 || is_error_type(pkt[hl]))) return;
  if (!take_token()) return;
  size_t quote = len < hl + 8 ? len : hl + 8;
  IpTx tx;
  uint8_t* out = m_stack.ip_begin(src, kProtoIcmp, kIcmpHeader + quote, &tx);
  if (out == nullptr) return;
  out[0] = type;
  out[1] = code;
  memset(out + 2, 0, 6);
  memcpy(out + kIcmpHeader, pkt, quote);
  uint16_t sum = checksum(out, kIcmpHeader + quote);
  memcpy(out + 2, &sum, 2);
  m_stack.ip_commit(&tx);
}

}  // namespace libos::inet
