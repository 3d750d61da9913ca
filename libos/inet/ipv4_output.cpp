// The send side of IPv4: Stack::ip_begin / ip_commit. A packet is built in
// place in the device's transmit buffer when the next hop's MAC is known and
// it fits the MTU (the common case: no copy). Otherwise it is built in an
// owned buffer that ip_commit hands to ARP (waiting for resolution) or cuts
// into fragments.
#include "inet/arp.hpp"
#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/ipv4.hpp"
#include "inet/ipv6.hpp"

namespace libos::inet {

namespace {

constexpr uint8_t kNoMac[6] = {};

void finish_header(uint8_t* ip) {
  store16(ip + 10, 0);
  uint16_t sum = checksum(ip, kIpHeader);
  memcpy(ip + 10, &sum, 2);
}

// The destination MAC for a packet to next hop `hop` sent to `dst`.
bool resolve(Stack& stack, uint32_t dst, uint32_t hop, uint8_t mac[6]) {
  if (is_broadcast(stack.config(), dst)) {
    memcpy(mac, kBroadcastMac, 6);
    return true;
  }
  return stack.arp().lookup(hop, mac);
}

// Sends the datagram in the owned buffer as fragments of at most the MTU,
// payload cut at multiples of 8 bytes (RFC 791), and frees the buffer.
void send_fragments(Stack& stack, const IpTx& tx) {
  PacketBuf* whole = PacketBuf::of(tx.frame);
  const uint8_t* ip = tx.frame + kEthHeader;
  const uint8_t* payload = ip + kIpHeader;
  size_t chunk = (stack.config().mtu - kIpHeader) & ~size_t{7};
  uint8_t mac[6];
  bool resolved = resolve(stack, load_addr(ip + 16), tx.next_hop, mac);
  for (size_t off = 0; off < tx.l4_len;) {
    size_t n = tx.l4_len - off < chunk ? tx.l4_len - off : chunk;
    bool more = off + n < tx.l4_len;
    size_t flen = kEthHeader + kIpHeader + n;
    PacketBuf* held = nullptr;
    uint8_t* f;
    if (resolved) {
      f = stack.device().tx_buffer();
      if (f == nullptr) {
        ++stack.stats().tx_no_room;  // the rest is useless without this piece
        break;
      }
    } else {
      held = PacketBuf::alloc(flen);
      if (held == nullptr) break;
      f = held->frame();
    }
    memcpy(f, tx.frame, kEthHeader + kIpHeader);
    if (resolved) memcpy(f, mac, 6);
    uint8_t* h = f + kEthHeader;
    store16(h + 2, static_cast<uint16_t>(kIpHeader + n));
    store16(h + 6, static_cast<uint16_t>((more ? kIpFlagMf : 0) | off / 8));
    finish_header(h);
    memcpy(h + kIpHeader, payload + off, n);
    if (resolved) {
      stack.device().tx_commit(flen);
      ++stack.stats().tx_frames;
    } else {
      stack.arp().enqueue(tx.next_hop, held);
    }
    off += n;
  }
  mem_free(whole);
}

}  // namespace

bool Stack::routable(uint32_t dst) const {
  if (is_loopback_addr(dst)) return true;
  if (is_v6_standin(dst)) return ip6_routable(dst);
  if (m_config.ip == 0 || dst == 0) return false;
  if (dst == 0xffffffffu) return true;
  if (is_multicast_or_reserved(dst)) return false;  // no multicast routes
  return in_subnet(m_config, dst) || m_config.gateway != 0;
}

bool Stack::tso_to(uint32_t dst) {
  m_table_deadline_stale = true;  // an ARP lookup may refresh an entry
  if (!m_config.offload_tso4 || is_v6_standin(dst) || is_local(dst) || !routable(dst) || is_broadcast(m_config, dst))
    return false;
  uint32_t hop = in_subnet(m_config, dst) ? dst : m_config.gateway;
  uint8_t mac[6];
  return m_arp->lookup(hop, mac);
}

uint8_t* Stack::ip_begin(uint32_t dst, uint8_t proto, size_t l4_len, IpTx* tx, size_t external) {
  m_table_deadline_stale = true;  // resolving may add or refresh an ARP entry
  *tx = IpTx{};
  if (is_v6_standin(dst)) return ip6_begin(dst, proto, l4_len, tx);
  size_t total = kIpHeader + l4_len;
  if (total > 65535 || !routable(dst)) return nullptr;
  bool loopback = is_local(dst);
  // The loopback queue is the "next hop" of every local destination (ip_commit).
  uint32_t hop = loopback ? m_config.ip : in_subnet(m_config, dst) || dst == 0xffffffffu ? dst : m_config.gateway;
  uint8_t mac[6];
  bool resolved = !loopback && resolve(*this, dst, hop, mac);
  // A TCP super-frame goes whole to a device that segments it (tso_to()
  // said so); anything else longer than the MTU is fragmented.
  bool large = !loopback && total > m_config.mtu && proto == kProtoTcp && m_config.offload_tso4 && resolved;
  bool fragment = !loopback && total > m_config.mtu && !large;
  uint8_t* frame;
  // The payload stays where it is and the device reads it (zero copy): only
  // into the device's own buffer, with the checksum left to the device.
  bool gather = resolved && !fragment && external > 0 && external < l4_len && m_config.offload_csum &&
                m_device.gathers();
  if (gather) {
    frame = m_device.tx_buffer_gather();
    if (frame == nullptr) {
      ++m_stats.tx_no_room;
      return nullptr;
    }
    tx->gather = true;
    tx->gathered = static_cast<uint32_t>(external);
  } else if (resolved && !fragment) {
    frame = large ? m_device.tx_buffer_large(kEthHeader + total) : m_device.tx_buffer();
    if (frame == nullptr) {
      ++m_stats.tx_no_room;
      return nullptr;
    }
  } else {
    PacketBuf* buf = PacketBuf::alloc(kEthHeader + total);
    if (buf == nullptr) return nullptr;
    frame = buf->frame();
    tx->owned = true;
  }
  eth_write(frame, resolved ? mac : loopback ? m_config.mac : kNoMac, m_config.mac, kEtherIpv4);
  uint8_t* ip = frame + kEthHeader;
  ip[0] = 0x45;  // version 4, 5 words of header
  ip[1] = 0;
  store16(ip + 2, static_cast<uint16_t>(total));
  store16(ip + 4, m_ipv4->next_id());
  // DF on TCP (its MSS keeps it within the MTU); others may be fragmented.
  store16(ip + 6, proto == kProtoTcp ? kIpFlagDf : 0);
  ip[8] = kDefaultTtl;
  ip[9] = proto;
  store_addr(ip + 12, source_for(dst));
  store_addr(ip + 16, dst);
  tx->frame = frame;
  tx->l4 = ip + kIpHeader;
  tx->l4_len = l4_len;
  tx->next_hop = hop;
  tx->fragment = fragment;
  return tx->l4;
}

void Stack::ip_commit(IpTx* tx) {
  m_table_deadline_stale = true;  // a packet may join an ARP queue
  if (tx->frame == nullptr) return;
  if (tx->v6) {
    ip6_commit(tx);
    *tx = IpTx{};
    return;
  }
  uint8_t* ip = tx->frame + kEthHeader;
  if (tx->fragment) {
    send_fragments(*this, *tx);
  } else {
    finish_header(ip);
    if (tx->gather) {
      size_t len = kEthHeader + kIpHeader + tx->l4_len;
      m_device.tx_commit_gather(len - tx->gathered, tx->spans, tx->span_count, len, tx->offload);
      if (tx->offload.gso_size != 0) ++m_stats.tx_gso_frames;
      ++m_stats.tx_frames;
      ++m_stats.tx_gather_frames;
    } else if (!tx->owned) {
      size_t len = kEthHeader + kIpHeader + tx->l4_len;
      if (tx->offload.csum_partial || tx->offload.gso_size != 0) {
        m_device.tx_commit_offload(len, tx->offload);
        if (tx->offload.gso_size != 0) ++m_stats.tx_gso_frames;
      } else {
        m_device.tx_commit(len);
      }
      ++m_stats.tx_frames;
    } else if (tx->next_hop == m_config.ip) {
      loop_enqueue(PacketBuf::of(tx->frame));
    } else {
      m_arp->enqueue(tx->next_hop, PacketBuf::of(tx->frame));
    }
  }
  *tx = IpTx{};
}

void Stack::loop_enqueue(PacketBuf* buf) {
  buf->next = nullptr;
  if (m_loop_bytes + buf->len + kBufOverhead > kLoopbackBytes) {
    ++m_stats.tx_no_room;
    mem_free(buf);
    return;
  }
  m_loop_bytes += buf->len + kBufOverhead;
  if (m_loop_tail != nullptr)
    m_loop_tail->next = buf;
  else
    m_loop_head = buf;
  m_loop_tail = buf;
}

void Stack::icmp_unreachable(const uint8_t* ip_packet, size_t len, uint8_t code) {
  if (len > 0 && (ip_packet[0] >> 4) == 6) {
    ip6_unreachable(*this, ip_packet, len, code);
    return;
  }
  m_ipv4->icmp().send_error(Icmp::kUnreachable, code, ip_packet, len);
}

}  // namespace libos::inet
