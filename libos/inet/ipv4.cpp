#include "inet/ipv4.hpp"

#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/tcp.hpp"
#include "inet/udp.hpp"

namespace libos::inet {

Ipv4::Ipv4(Stack& stack)
    : m_stack(stack), m_reassembly(stack, Reassembly::kTimeout, 65535 - kIpHeader), m_icmp(stack),
      m_next_id(static_cast<uint16_t>(stack.random32())) {}

void Ipv4::input(const uint8_t* p, size_t len, bool loopback) {
  StackStats& st = m_stack.stats();
  const StackConfig& cfg = m_stack.config();
  if (len < kIpHeader) {
    ++st.rx_bad_ip;
    return;
  }
  size_t hl = size_t{p[0] & 15u} * 4;
  size_t total = load16(p + 2);
  if ((p[0] >> 4) != 4 || hl < kIpHeader || hl > len || total < hl || total > len) {
    ++st.rx_bad_ip;
    return;
  }
  if (checksum(p, hl) != 0) {
    ++st.rx_bad_ip_checksum;
    return;
  }
  uint32_t src = load_addr(p + 12);
  uint32_t dst = load_addr(p + 16);
  bool broadcast = is_broadcast(cfg, dst);
  bool local = (dst == cfg.ip && cfg.ip != 0) || (loopback && Stack::is_loopback_addr(dst));
  if (!broadcast && !local) {
    ++st.rx_ip_not_for_us;
    return;
  }
  // Martian sources (RFC 1812 5.3.7): nobody may speak as a broadcast, a
  // multicast group, "this host", or as us (127.0.0.0/8 included).
  if (src == 0 || ((src == cfg.ip || Stack::is_loopback_addr(src)) && !loopback) || is_broadcast(cfg, src) || is_multicast_or_reserved(src)) {
    ++st.rx_bad_ip;
    return;
  }
  uint16_t frag = load16(p + 6);
  if ((frag & (kIpFlagMf | kIpOffsetMask)) == 0) {
    deliver(p, hl, total, broadcast);
    return;
  }
  ++st.frags_received;
  // A device's word on a checksum covers its frame, not the datagram this
  // fragment completes: verify the reassembled one.
  m_stack.distrust_rx();
  Reassembly::Fragment f{};
  memcpy(f.key.src, p + 12, 4);
  memcpy(f.key.dst, p + 16, 4);
  f.key.id = load16(p + 4);
  f.key.proto = p[9];
  f.off = static_cast<size_t>(frag & kIpOffsetMask) * 8;
  f.more = (frag & kIpFlagMf) != 0;
  f.data = p + hl;
  f.len = total - hl;
  f.header = p;
  f.header_len = kIpHeader;  // options dropped
  PacketBuf* whole = m_reassembly.add(f);
  if (whole == nullptr) return;
  // The whole datagram's header: no options, no fragment fields.
  uint8_t* h = whole->frame();
  h[0] = 0x45;
  store16(h + 2, static_cast<uint16_t>(whole->len));
  store16(h + 6, 0);
  store16(h + 10, 0);
  uint16_t sum = checksum(h, kIpHeader);
  memcpy(h + 10, &sum, 2);
  deliver(whole->frame(), kIpHeader, whole->len, broadcast);
  mem_free(whole);
}

void Ipv4::deliver(const uint8_t* p, size_t hl, size_t total, bool broadcast) {
  uint32_t src = load_addr(p + 12);
  uint32_t dst = load_addr(p + 16);
  const uint8_t* l4 = p + hl;
  size_t l4_len = total - hl;
  switch (p[9]) {
    case kProtoIcmp:
      m_icmp.input(src, l4, l4_len, broadcast);
      return;
    case kProtoUdp:
      m_stack.udp().input(src, dst, l4, l4_len, p, total);
      return;
    case kProtoTcp:
      if (broadcast) {
        ++m_stack.stats().rx_ip_not_for_us;  // TCP is unicast only
        return;
      }
      m_stack.tcp().input(src, dst, l4, l4_len);
      return;
    default:
      ++m_stack.stats().rx_unknown_proto;
      if (!broadcast) m_icmp.send_error(Icmp::kUnreachable, Icmp::kProtoUnreachable, p, total);
      return;
  }
}

}  // namespace libos::inet
