// UDP, the protocol side: the port table, input (checksum, demultiplexing,
// ICMP port unreachable) and received ICMP errors.
#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/icmp.hpp"
#include "inet/ipv4.hpp"
#include "inet/udp_queue.hpp"

namespace libos::inet {

Udp::Udp(Stack& stack) : m_stack(stack) {}

// Sockets still open when the stack goes (tests, the fuzzer) are freed.
Udp::~Udp() {
  while (m_sockets != nullptr) m_sockets->close();
}

void Udp::link(UdpSocket* s) {
  s->m_next = m_sockets;
  m_sockets = s;
}

void Udp::unlink(UdpSocket* s) {
  for (UdpSocket** p = &m_sockets; *p != nullptr; p = &(*p)->m_next) {
    if (*p == s) {
      *p = s->m_next;
      s->m_next = nullptr;
      return;
    }
  }
}

// Linux's UDP rule: two sockets may share a port on overlapping addresses
// only if both set SO_REUSEADDR.
bool Udp::in_use(uint32_t ip, uint16_t port, bool reuse, const UdpSocket* self) const {
  for (const UdpSocket* s = m_sockets; s != nullptr; s = s->m_next) {
    if (s == self || s->m_local_port != port) continue;
    if (self != nullptr && !families_overlap(self->m_family, s->m_family)) continue;
    if (s->m_local_ip != 0 && ip != 0 && s->m_local_ip != ip) continue;
    if (reuse && s->m_reuseaddr) continue;
    return true;
  }
  return false;
}

uint16_t Udp::pick_ephemeral() {
  constexpr uint32_t kRange = kEphemeralHigh - kEphemeralLow + 1;
  uint32_t start = m_stack.random32() % kRange;
  for (uint32_t i = 0; i < kRange; ++i) {
    auto port = static_cast<uint16_t>(kEphemeralLow + (start + i) % kRange);
    bool taken = false;
    for (const UdpSocket* s = m_sockets; s != nullptr && !taken; s = s->m_next)
      taken = s->m_local_port == port;
    if (!taken) return port;
  }
  return 0;
}

void Udp::input(uint32_t src, uint32_t dst, const uint8_t* udp, size_t len,
                const uint8_t* ip_packet, size_t ip_len) {
  StackStats& st = m_stack.stats();
  if (len < kUdpHeader) {
    ++st.rx_bad_udp;
    return;
  }
  size_t ulen = load16(udp + 4);
  if (ulen < kUdpHeader || ulen > len) {
    ++st.rx_bad_udp;
    return;
  }
  uint16_t wire_sum;
  memcpy(&wire_sum, udp + 6, 2);
  // A zero checksum means the sender computed none (RFC 768).
  if (wire_sum != 0 && !m_stack.rx_checksum_trusted() &&
      csum_fold(csum_add(csum_pseudo(src, dst, kProtoUdp, static_cast<uint16_t>(ulen)), udp, ulen)) != 0) {
    ++st.rx_bad_udp;
    return;
  }
  uint16_t sport = load16(udp);
  uint16_t dport = load16(udp + 2);
  if (dport == 0) {
    ++st.rx_bad_udp;
    return;
  }
  const uint8_t* payload = udp + kUdpHeader;
  size_t plen = ulen - kUdpHeader;
  bool unicast = m_stack.is_local(dst);
  // Unicast: the best match (connected beats bound-to-address beats
  // wildcard; ties go to the most recently bound, as Linux). Broadcast:
  // every socket on the port.
  UdpSocket* best = nullptr;
  int best_score = -1;
  bool any = false;
  for (UdpSocket* s = m_sockets; s != nullptr; s = s->m_next) {
    if (s->m_local_port != dport || !family_takes(s->m_family, src)) continue;
    if (s->m_local_ip != 0 && s->m_local_ip != dst) continue;
    if (s->m_connected && (s->m_peer_ip != src || s->m_peer_port != sport)) continue;
    if (!unicast) {
      s->deliver(src, sport, payload, plen);
      any = true;
      continue;
    }
    int score = (s->m_connected ? 4 : 0) + (s->m_local_ip != 0 ? 2 : 0);
    if (score > best_score) {
      best = s;
      best_score = score;
    }
  }
  if (best != nullptr) {
    best->deliver(src, sport, payload, plen);
    return;
  }
  if (any) return;
  ++st.udp_no_port;
  if (unicast) m_stack.icmp_unreachable(ip_packet, ip_len, Icmp::kPortUnreachable);
}

namespace {
// Linux's icmp_err_convert: the errno of each unreachable code and whether
// it is "hard" (reported on a connected socket without IP_RECVERR).
struct UnreachError {
  uint8_t err;
  bool fatal;
};
constexpr UnreachError kUnreachErrors[16] = {
    {ENETUNREACH, false},  {EHOSTUNREACH, false}, {ENOPROTOOPT, true},  {ECONNREFUSED, true},
    {EMSGSIZE, false},     {EOPNOTSUPP, false},   {ENETUNREACH, true},  {EHOSTUNREACH, true},
    {EHOSTUNREACH, true},  {ENETUNREACH, true},   {EHOSTUNREACH, true}, {ENETUNREACH, false},
    {EHOSTUNREACH, false}, {EHOSTUNREACH, true},  {EHOSTUNREACH, true}, {EHOSTUNREACH, true},
};
}  // namespace

void Udp::icmp_error(uint8_t type, uint8_t code, const uint8_t* quoted, size_t len) {
  // Time exceeded, parameter problems and "soft" unreachables are not
  // reported without IP_RECVERR (Linux); fragmentation needed is PMTU's.
  if (type != Icmp::kUnreachable || code >= 16 || !kUnreachErrors[code].fatal) return;
  if (len < kIpHeader) return;
  size_t hl = size_t{quoted[0] & 15u} * 4;
  if (hl < kIpHeader || len < hl + kUdpHeader) return;
  uint32_t dst = load_addr(quoted + 16);
  uint16_t sport = load16(quoted + hl);
  uint16_t dport = load16(quoted + hl + 2);
  for (UdpSocket* s = m_sockets; s != nullptr; s = s->m_next) {
    if (s->m_connected && s->m_local_port == sport && s->m_peer_ip == dst && s->m_peer_port == dport) {
      s->m_error = kUnreachErrors[code].err;
      s->notify(kPollErr);
      return;
    }
  }
}

}  // namespace libos::inet
