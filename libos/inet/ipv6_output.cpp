// The send side of IPv6 for TCP and UDP: Stack::ip_begin/ip_commit for a
// stand-in destination (ipv6_peers.hpp), and the neighbour cache that finds
// its MAC. The packet is built in an owned buffer (the transports write
// their IPv4 pseudo-header checksum; ip6_commit replaces it with the IPv6
// one, so the device's checksum offload is not used for IPv6) and copied
// into the device once the neighbour's MAC is known; a UDP datagram longer
// than the MTU is copied as fragments (RFC 8200 4.5), as Linux sends them.
#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/ipv6.hpp"
#include "inet/ipv6_peers.hpp"

namespace libos::inet {
namespace {

constexpr uint8_t kHopLimit = 64;
constexpr uint8_t kFragmentHeader = 44;
constexpr size_t kFragHeaderLen = 8;
constexpr uint64_t kSolicitInterval = 1000000000;  // one NS a second per neighbour (RFC 4861 RetransTimer)
constexpr uint8_t kNoMac[6] = {};

bool is_link_local(const uint8_t a[16]) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }

bool on_link(const StackConfig& c, const uint8_t a[16]) {
  if (is_link_local(a)) return true;
  if (c.ip6_prefix == 0) return false;
  for (unsigned bit = 0; bit < c.ip6_prefix; bit += 8) {
    unsigned left = c.ip6_prefix - bit;
    uint8_t mask = left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - left));
    if (((a[bit / 8] ^ c.ip6[bit / 8]) & mask) != 0) return false;
  }
  return true;
}

// Copies the packet in buf into the device as fragments of at most the
// MTU, each the fixed header and a Fragment header before a piece of the
// payload cut at a multiple of 8 bytes.
void send_fragments(Stack& s, PacketBuf* buf, const uint8_t mac[6]) {
  const uint8_t* ip = buf->frame() + kEthHeader;
  const uint8_t* payload = ip + kIp6Header;
  size_t plen = buf->len - kEthHeader - kIp6Header;
  size_t chunk = (s.config().mtu - kIp6Header - kFragHeaderLen) & ~size_t{7};
  uint32_t id = s.next_frag6_id();
  for (size_t off = 0; off < plen;) {
    size_t n = plen - off < chunk ? plen - off : chunk;
    bool more = off + n < plen;
    uint8_t* f = s.device().tx_buffer();
    if (f == nullptr) {
      ++s.stats().tx_no_room;  // the rest is useless without this piece
      return;
    }
    memcpy(f, buf->frame(), kEthHeader + kIp6Header);
    memcpy(f, mac, 6);
    uint8_t* h = f + kEthHeader;
    store16(h + 4, static_cast<uint16_t>(kFragHeaderLen + n));
    h[6] = kFragmentHeader;
    uint8_t* fh = h + kIp6Header;
    fh[0] = ip[6];
    fh[1] = 0;
    store16(fh + 2, static_cast<uint16_t>(off | (more ? 1 : 0)));
    store32(fh + 4, id);
    memcpy(fh + kFragHeaderLen, payload + off, n);
    ++s.stats().tx_frames;
    s.device().tx_commit(kEthHeader + kIp6Header + kFragHeaderLen + n);
    off += n;
  }
}

// Copies a finished frame into the device with the neighbour's MAC
// (fragmented when longer than the MTU), and frees it.
void transmit(Stack& s, PacketBuf* buf, const uint8_t mac[6]) {
  if (buf->len > kEthHeader + s.config().mtu) {
    send_fragments(s, buf, mac);
    mem_free(buf);
    return;
  }
  uint8_t* f = s.device().tx_buffer();
  if (f == nullptr) {
    ++s.stats().tx_no_room;
  } else {
    memcpy(f, buf->frame(), buf->len);
    memcpy(f, mac, 6);
    ++s.stats().tx_frames;
    s.device().tx_commit(buf->len);
  }
  mem_free(buf);
}

}  // namespace

void ip6_transmit(Stack& s, PacketBuf* buf, const uint8_t mac[6]) { transmit(s, buf, mac); }

void ip6_learn(Stack& s, uint32_t standin, const uint8_t mac[6]) {
  Ip6Peers::Peer* p = s.ip6_peers() != nullptr ? s.ip6_peers()->find(standin) : nullptr;
  if (p == nullptr || s.ip6_peers()->is_ours(standin) || mac_is_group(mac)) return;
  memcpy(p->mac, mac, 6);
  p->mac_known = true;
  if (p->held != nullptr) {
    PacketBuf* held = p->held;
    p->held = nullptr;
    transmit(s, held, p->mac);
  }
}

bool Stack::ip6_is_local(uint32_t ip) const { return m_ip6 != nullptr && m_ip6->is_ours(ip); }

void Stack::ip6_configure(const uint8_t addr[16], uint8_t prefix) {
  if (m_ip6 == nullptr) return;
  memcpy(m_config.ip6, addr, 16);
  m_config.ip6_prefix = prefix;
  m_ip6->set_static(addr);
}

void Stack::ip6_pin_slow(uint32_t ip, bool pin) {
  if (m_ip6 == nullptr) return;
  if (pin) m_ip6->pin(ip);
  else m_ip6->unpin(ip);
}

uint32_t Stack::ip6_source_for(uint32_t dst) const {
  if (m_ip6 == nullptr) return 0;
  if (m_ip6->is_ours(dst)) return dst;
  const Ip6Peers::Peer* p = m_ip6->find(dst);
  // A link-local peer is answered from our link-local address, others
  // from the static one when there is one (RFC 6724's scope rule).
  uint32_t st = m_ip6->ours(Ip6Peers::kSlotStatic);
  if (p == nullptr || is_link_local(p->addr) || st == 0) return m_ip6->ours(Ip6Peers::kSlotLinkLocal);
  return st;
}

bool Stack::ip6_routable(uint32_t dst) const {
  if (m_ip6 == nullptr) return false;
  if (m_ip6->is_ours(dst)) return true;
  const Ip6Peers::Peer* p = m_ip6->find(dst);
  // On-link, or a peer whose packets came from a known MAC (a router's,
  // for one off-link): the answer goes back the way it came; any other
  // through the default router, when there is one.
  // Groups are not sent to (no multicast sending yet).
  if (p == nullptr || p->addr[0] == 0xff) return false;
  return on_link(m_config, p->addr) || p->mac_known || m_ip6->router().standin != 0;
}

uint8_t* Stack::ip6_begin(uint32_t dst, uint8_t proto, size_t l4_len, IpTx* tx) {
  if (!ip6_routable(dst)) return nullptr;
  const Ip6Peers::Peer* to = m_ip6->find(dst);
  const Ip6Peers::Peer* from = m_ip6->find(ip6_source_for(dst));
  size_t total = kIp6Header + l4_len;
  // TCP's MSS keeps it within the MTU; a longer UDP datagram to a peer
  // leaves in fragments (transmit), one to ourselves loops back whole.
  if (to == nullptr || from == nullptr || l4_len > 0xffff) return nullptr;
  if (total > m_config.mtu && proto == kProtoTcp) return nullptr;
  PacketBuf* buf = PacketBuf::alloc(kEthHeader + total);
  if (buf == nullptr) return nullptr;
  uint8_t* frame = buf->frame();
  eth_write(frame, kNoMac, m_config.mac, kEtherIpv6);
  uint8_t* ip = frame + kEthHeader;
  memset(ip, 0, kIp6Header);
  ip[0] = 0x60;
  store16(ip + 4, static_cast<uint16_t>(l4_len));
  ip[6] = proto;
  ip[7] = kHopLimit;
  memcpy(ip + 8, from->addr, 16);
  memcpy(ip + 24, to->addr, 16);
  tx->frame = frame;
  tx->l4 = ip + kIp6Header;
  tx->l4_len = l4_len;
  tx->next_hop = dst;
  tx->owned = true;
  tx->v6 = true;
  return tx->l4;
}

void Stack::ip6_commit(IpTx* tx) {
  PacketBuf* buf = PacketBuf::of(tx->frame);
  uint8_t* ip = tx->frame + kEthHeader;
  uint8_t proto = ip[6];
  uint8_t* l4 = tx->l4;
  size_t at = proto == kProtoTcp ? 16 : 6;
  // The transport summed its IPv4 pseudo-header over the stand-ins: the
  // checksum is redone over IPv6's.
  l4[at] = l4[at + 1] = 0;
  uint16_t sum = csum_fold(csum_add(ip6_pseudo(ip + 8, ip + 24, proto, static_cast<uint32_t>(tx->l4_len)), l4,
                                    tx->l4_len));
  if (proto == kProtoUdp && sum == 0) sum = 0xffff;  // zero is "no checksum", forbidden in IPv6
  memcpy(l4 + at, &sum, 2);
  uint32_t dst = tx->next_hop;
  if (m_ip6->is_ours(dst)) {
    memcpy(tx->frame, m_config.mac, 6);
    loop_enqueue(buf);
    return;
  }
  Ip6Peers::Peer* p = m_ip6->find(dst);
  if (p == nullptr) {
    mem_free(buf);
    return;
  }
  // Off-link: the next hop is the default router (RFC 4861 5.2).
  if (!on_link(m_config, p->addr)) {
    if (Ip6Peers::Peer* r = m_ip6->find(m_ip6->router().standin); r != nullptr) p = r;
  }
  if (p->mac_known) {
    transmit(*this, buf, p->mac);
    return;
  }
  // Unresolved: the newest packet waits (TCP retransmits the rest) and a
  // solicitation goes out, at most one a second.
  PacketBuf::free_list(p->held);
  buf->next = nullptr;
  p->held = buf;
  if (p->ns_sent == kNever || m_now - p->ns_sent >= kSolicitInterval) {
    p->ns_sent = m_now;
    // A link-local target (a router) is asked from our link-local address.
    uint8_t from[16];
    if (is_link_local(p->addr)) ip6_link_local(m_config.mac, from);
    else memcpy(from, ip + 8, 16);
    ip6_solicit(*this, p->addr, from);
  }
}

}  // namespace libos::inet
