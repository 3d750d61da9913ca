// IPv6 input and the ICMPv6 that neighbour discovery and echo need (see
// ipv6.hpp for what is and is not there).
#include "inet/ipv6.hpp"

#include "inet/bytes.hpp"
#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/icmp.hpp"
#include "inet/ipv4.hpp"
#include "inet/ipv6_peers.hpp"
#include "inet/stack.hpp"
#include "inet/tcp.hpp"
#include "inet/udp.hpp"

namespace libos::inet {
namespace {

constexpr uint8_t kIcmp6DestUnreach = 1, kIcmp6PacketTooBig = 2, kIcmp6ParamProblem = 4, kIcmp6EchoRequest = 128, kIcmp6EchoReply = 129;
constexpr uint8_t kRouterAdvert = 134, kNdSolicit = 135, kNdAdvert = 136;
constexpr uint8_t kNdOptSourceMac = 1, kNdOptTargetMac = 2;

constexpr uint8_t kHopLimit = 64, kNdHopLimit = 255;
// An ICMPv6 error quotes as much of the offending packet as fits in the
// minimum MTU (RFC 4443 2.4 (c)).
constexpr size_t kMinMtu6 = 1280;

const uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

bool is_zero(const uint8_t a[16]) {
  for (int i = 0; i < 16; ++i) {
    if (a[i] != 0) return false;
  }
  return true;
}
bool is_multicast(const uint8_t a[16]) { return a[0] == 0xff; }
bool same(const uint8_t* a, const uint8_t* b) { return memcmp(a, b, 16) == 0; }

// ff02::1:ffXX:XXXX, the solicited-node group of an address (RFC 4291 2.7.1).
void solicited_node(const uint8_t addr[16], uint8_t out[16]) {
  static const uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  memcpy(out, kPrefix, 13);
  memcpy(out + 13, addr + 13, 3);
}

bool has_static(const Stack& s) { return s.config().ip6_prefix != 0; }

bool is_our_group(const Stack& s, const uint8_t dst[16]) {
  if (same(dst, kAllNodes)) return true;
  if (is_multicast(dst) && s.ip6_peers() != nullptr && s.ip6_peers()->joined(dst)) return true;
  uint8_t ll[16], g[16];
  ip6_link_local(s.config().mac, ll);
  solicited_node(ll, g);
  if (same(dst, g)) return true;
  if (!has_static(s)) return false;
  solicited_node(s.config().ip6, g);
  return same(dst, g);
}

// Writes the frame of an ICMPv6 message (Ethernet and IPv6 headers, the
// message with its type replaced by `type` unless negative, its checksum)
// into f, which holds kEthHeader + kIp6Header + len.
void fill_icmp6(Stack& s, uint8_t* f, const uint8_t* mac, const uint8_t src[16], const uint8_t dst[16],
                uint8_t hops, const uint8_t* msg, size_t len, int type) {
  eth_write(f, mac, s.config().mac, kEtherIpv6);
  uint8_t* ip = f + kEthHeader;
  memset(ip, 0, kIp6Header);
  ip[0] = 0x60;
  store16(ip + 4, static_cast<uint16_t>(len));
  ip[6] = kProtoIcmp6;
  ip[7] = hops;
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
  uint8_t* m = ip + kIp6Header;
  memcpy(m, msg, len);
  if (type >= 0) m[0] = static_cast<uint8_t>(type);
  m[2] = m[3] = 0;
  uint16_t sum = icmp6_checksum(src, dst, m, len);
  memcpy(m + 2, &sum, 2);
}

void send_icmp6(Stack& s, const uint8_t* mac, const uint8_t src[16], const uint8_t dst[16], uint8_t hops,
                const uint8_t* msg, size_t len, int type = -1) {
  size_t total = kEthHeader + kIp6Header + len;
  if (len > 0xffff) return;
  if (total > kEthHeader + s.config().mtu) {
    // Longer than the MTU (an echo reply to `ping -6 -s 3000`): built in a
    // buffer and sent in fragments, as Linux answers.
    PacketBuf* buf = PacketBuf::alloc(total);
    if (buf == nullptr) return;
    fill_icmp6(s, buf->frame(), mac, src, dst, hops, msg, len, type);
    ip6_transmit(s, buf, mac);
    return;
  }
  uint8_t* f = s.device().tx_buffer();
  if (f == nullptr) {
    ++s.stats().tx_no_room;
    return;
  }
  fill_icmp6(s, f, mac, src, dst, hops, msg, len, type);
  ++s.stats().tx_frames;
  s.device().tx_commit(total);
}

// The source of an answer to a packet sent to dst: dst itself when it is
// one of ours, else (a group) the address of the same scope.
void answer_source(const Stack& s, const uint8_t dst[16], const uint8_t peer[16], uint8_t out[16]) {
  if (ip6_is_ours(s, dst)) {
    memcpy(out, dst, 16);
    return;
  }
  bool peer_link_local = peer[0] == 0xfe && (peer[1] & 0xc0) == 0x80;
  if (has_static(s) && !peer_link_local) memcpy(out, s.config().ip6, 16);
  else ip6_link_local(s.config().mac, out);
}

void neighbour_solicit(Stack& s, const uint8_t* eth_src, const uint8_t* ip, const uint8_t* msg, size_t len) {
  const uint8_t* src = ip + 8;
  // RFC 4861 7.1.1: hop limit 255 (not forwarded), code 0, at least 24 bytes,
  // the target not a group.
  if (ip[7] != kNdHopLimit || msg[1] != 0 || len < 24 || is_multicast(msg + 8)) {
    ++s.stats().rx_bad_ip6;
    return;
  }
  const uint8_t* target = msg + 8;
  if (!ip6_is_ours(s, target)) return;  // someone else's address
  // Where to answer: the solicitation's source link-layer option, else the
  // frame's source MAC.
  const uint8_t* mac = eth_src;
  for (size_t o = 24; o + 2 <= len;) {
    size_t olen = size_t{msg[o + 1]} * 8;
    if (olen == 0 || o + olen > len) {
      ++s.stats().rx_bad_ip6;
      return;
    }
    if (msg[o] == kNdOptSourceMac && olen >= 8) mac = msg + o + 2;
    o += olen;
  }
  // A neighbour we talk to tells us where it is (RFC 4861 7.2.3); one we
  // do not know is not added (a flood of solicitations fills no table).
  if (!is_zero(src) && s.ip6_peers() != nullptr) {
    if (uint32_t id = s.ip6_peers()->standin_of(src, false); id != 0) ip6_learn(s, id, mac);
  }
  uint8_t na[32] = {};
  na[0] = kNdAdvert;
  bool dad = is_zero(src);
  // Solicited (unless answering duplicate address detection) and override.
  na[4] = static_cast<uint8_t>((dad ? 0 : 0x40) | 0x20);
  memcpy(na + 8, target, 16);
  na[24] = kNdOptTargetMac;
  na[25] = 1;
  memcpy(na + 26, s.config().mac, 6);
  static const uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
  ++s.stats().nd_answered;
  if (dad) send_icmp6(s, kAllNodesMac, target, kAllNodes, kNdHopLimit, na, sizeof(na));
  else send_icmp6(s, mac, target, src, kNdHopLimit, na, sizeof(na));
}

void echo_request(Stack& s, const uint8_t* eth_src, const uint8_t* ip, const uint8_t* msg, size_t len) {
  const uint8_t* src = ip + 8;
  if (is_zero(src) || is_multicast(src)) return;
  uint8_t from[16];
  answer_source(s, ip + 24, src, from);
  // The reply is the request with another type (identifier, sequence and
  // data echoed), copied straight into the frame. A request longer than the
  // MTU arrived in fragments and was reassembled; its reply leaves in
  // fragments (send_icmp6).
  ++s.stats().icmp6_echo_answered;
  send_icmp6(s, eth_src, from, src, kHopLimit, msg, len, kIcmp6EchoReply);
}

// A Neighbor Advertisement: the MAC of a neighbour we asked for (or that
// announces a change). Only entries we have are updated.
void neighbour_advert(Stack& s, const uint8_t* ip, const uint8_t* msg, size_t len) {
  if (ip[7] != kNdHopLimit || msg[1] != 0 || len < 24 || is_multicast(msg + 8)) {
    ++s.stats().rx_bad_ip6;
    return;
  }
  const uint8_t* mac = nullptr;
  for (size_t o = 24; o + 2 <= len;) {
    size_t olen = size_t{msg[o + 1]} * 8;
    if (olen == 0 || o + olen > len) {
      ++s.stats().rx_bad_ip6;
      return;
    }
    if (msg[o] == kNdOptTargetMac && olen >= 8) mac = msg + o + 2;
    o += olen;
  }
  if (mac == nullptr || s.ip6_peers() == nullptr) return;
  if (uint32_t id = s.ip6_peers()->standin_of(msg + 8, false); id != 0 && !s.ip6_peers()->is_ours(id))
    ip6_learn(s, id, mac);
}

// An ICMPv6 destination unreachable about one of our TCP or UDP packets:
// told to the socket as the ICMP error the transports know (a quoted IPv4
// header with the stand-ins), Linux's icmpv6_err_convert: no route and
// address unreachable are soft, administratively prohibited and port
// unreachable hard.
// A Packet Too Big (type 2) about a TCP segment is told to TCP as IPv4's
// "fragmentation needed", which steps its MSS down (the MTU field is not
// used, as for IPv4).
void dest_unreachable(Stack& s, const uint8_t* msg, size_t len) {
  if (len < 8 + kIp6Header + 8) return;
  bool too_big = msg[0] == kIcmp6PacketTooBig;
  const uint8_t* q = msg + 8;
  uint8_t proto = q[6];
  size_t l4 = kIp6Header;
  // About the first fragment of one of our datagrams: past its header.
  if (proto == 44 && len >= 8 + kIp6Header + 16 && (load16(q + kIp6Header + 2) & 0xfff8) == 0) {
    proto = q[kIp6Header];
    l4 += 8;
  }
  if (proto != kProtoTcp && proto != kProtoUdp) return;
  Ip6Peers* peers = s.ip6_peers();
  uint32_t src = peers->standin_of(q + 8, false);
  uint32_t dst = peers->standin_of(q + 24, false);
  if (src == 0 || dst == 0 || !peers->is_ours(src)) return;
  static const uint8_t kCodes[5] = {Icmp::kNetUnreachable, 10 /* host prohibited */, 0xff,
                                    Icmp::kHostUnreachable, Icmp::kPortUnreachable};
  if (too_big && proto != kProtoTcp) return;
  uint8_t code = too_big ? Icmp::kFragNeeded : msg[1] < 5 ? kCodes[msg[1]] : 0xff;
  if (code == 0xff) return;
  uint8_t quote[kIpHeader + 8] = {};
  quote[0] = 0x45;
  quote[9] = proto;
  memcpy(quote + 12, &src, 4);
  memcpy(quote + 16, &dst, 4);
  memcpy(quote + kIpHeader, q + l4, 8);
  if (proto == kProtoUdp) s.udp().icmp_error(Icmp::kUnreachable, code, quote, sizeof(quote));
  else s.tcp().icmp_error(Icmp::kUnreachable, code, quote, sizeof(quote));
}

// A TCP segment or UDP datagram at off (plen bytes): checked against the
// IPv6 pseudo-header, then handed to the transport with stand-in addresses
// (checksum vouched).
void transport_input(Stack& s, const uint8_t* eth_src, const uint8_t* ip, size_t off, size_t plen,
                     uint8_t proto, bool loopback) {
  StackStats& st = s.stats();
  const uint8_t* src = ip + 8;
  const uint8_t* dst = ip + 24;
  // Multicast: UDP to a group a socket joined (every socket on the port
  // takes it, Udp::input's non-unicast path).
  bool group = is_multicast(dst) && proto == kProtoUdp && s.ip6_peers()->joined(dst);
  if (!ip6_is_ours(s, dst) && !group) {
    ++st.rx_ip6_not_for_us;
    return;
  }
  if (is_zero(src) || is_multicast(src) || (!loopback && ip6_is_ours(s, src))) {
    ++st.rx_bad_ip6;
    return;
  }
  const uint8_t* l4 = ip + off;
  uint64_t& bad = proto == kProtoTcp ? st.rx_bad_tcp : st.rx_bad_udp;
  if (!loopback && !s.rx_checksum_trusted()) {
    // UDP over IPv6 always carries a checksum (RFC 8200 8.1): zero is bad.
    if (plen < 8 || (proto == kProtoUdp && l4[6] == 0 && l4[7] == 0) ||
        csum_fold(csum_add(ip6_pseudo(src, dst, proto, static_cast<uint32_t>(plen)), l4, plen)) != 0) {
      ++bad;
      return;
    }
  }
  Ip6Peers* peers = s.ip6_peers();
  uint32_t src_id = peers->standin_of(src, true);
  uint32_t dst_id = peers->standin_of(dst, false);
  if (src_id == 0 || dst_id == 0) return;
  if (!loopback) ip6_learn(s, src_id, eth_src);
  bool was = s.rx_checksum_trusted();
  s.set_rx_trusted(true);
  if (proto == kProtoUdp) s.udp().input(src_id, dst_id, l4, plen, ip, off + plen);
  else s.tcp().input(src_id, dst_id, l4, plen);
  s.set_rx_trusted(was);
}

// Sends an ICMPv6 error of type/code/word (the 4 bytes after the checksum)
// quoting the packet ip (len bytes), from the address it was sent to, to
// the MAC mac. RFC 4443 2.4 (e): none about a packet from an unspecified
// or group source.
void send_error(Stack& s, const uint8_t* mac, const uint8_t* ip, size_t len, uint8_t type, uint8_t code,
                uint32_t word) {
  const uint8_t* src = ip + 8;
  if (len < kIp6Header || is_zero(src) || is_multicast(src)) return;
  // Nor about a packet to a group, but for an option that asks for it
  // (RFC 4443 2.4 (e.3)).
  if (is_multicast(ip + 24) && !(type == kIcmp6ParamProblem && code == 2)) return;
  if (!s.ipv4().icmp().take_token()) return;
  uint8_t from[16];
  answer_source(s, ip + 24, src, from);
  uint8_t msg[kMinMtu6 - kIp6Header];
  size_t quote = len < sizeof(msg) - 8 ? len : sizeof(msg) - 8;
  memset(msg, 0, 8);
  msg[0] = type;
  msg[1] = code;
  store32(msg + 4, word);
  memcpy(msg + 8, ip, quote);
  send_icmp6(s, mac, from, src, kHopLimit, msg, 8 + quote);
}

// The upper layer of a packet for us (below ip6_input).
void upper_input(Stack& s, const uint8_t* eth_src, const uint8_t* ip, const Ip6Upper& up, size_t plen,
                 bool loopback);

}  // namespace

void ip6_send_icmp(Stack& s, const uint8_t* mac, const uint8_t src[16], const uint8_t dst[16], uint8_t hops,
                   const uint8_t* msg, size_t len) {
  send_icmp6(s, mac, src, dst, hops, msg, len);
}

void ip6_link_local(const uint8_t mac[6], uint8_t out[16]) {
  memset(out, 0, 16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = mac[0] ^ 0x02;  // the universal/local bit, inverted
  out[9] = mac[1];
  out[10] = mac[2];
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac[3];
  out[14] = mac[4];
  out[15] = mac[5];
}

bool ip6_is_ours(const Stack& s, const uint8_t addr[16]) {
  if (!s.config().ipv6) return false;
  uint8_t ll[16];
  ip6_link_local(s.config().mac, ll);
  if (same(addr, ll)) return true;
  return has_static(s) && same(addr, s.config().ip6);
}

bool ip6_mac_wanted(const Stack& s, const uint8_t mac[6]) {
  if (!s.config().ipv6 || mac[0] != 0x33 || mac[1] != 0x33) return false;
  static const uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
  if (mac_equal(mac, kAllNodesMac)) return true;
  if (s.ip6_peers() != nullptr && s.ip6_peers()->joined_mac(mac)) return true;
  if (mac[2] != 0xff) return false;
  uint8_t ll[16];
  ip6_link_local(s.config().mac, ll);
  if (memcmp(mac + 3, ll + 13, 3) == 0) return true;
  return has_static(s) && memcmp(mac + 3, s.config().ip6 + 13, 3) == 0;
}

uint16_t icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t* msg, size_t len) {
  uint8_t pseudo[40] = {};
  memcpy(pseudo, src, 16);
  memcpy(pseudo + 16, dst, 16);
  pseudo[34] = static_cast<uint8_t>(len >> 8);
  pseudo[35] = static_cast<uint8_t>(len);
  pseudo[39] = kProtoIcmp6;
  return csum_fold(csum_add(csum_add(0, pseudo, sizeof(pseudo)), msg, len));
}

uint32_t ip6_pseudo(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t len) {
  uint8_t tail[8] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                     static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 0, 0, 0, proto};
  return csum_add(csum_add(csum_add(0, src, 16), dst, 16), tail, sizeof(tail));
}

void ip6_solicit(Stack& s, const uint8_t target[16], const uint8_t src[16]) {
  uint8_t ns[32] = {};
  ns[0] = kNdSolicit;
  memcpy(ns + 8, target, 16);
  ns[24] = kNdOptSourceMac;
  ns[25] = 1;
  memcpy(ns + 26, s.config().mac, 6);
  uint8_t group[16];
  solicited_node(target, group);
  uint8_t mac[6] = {0x33, 0x33, group[12], group[13], group[14], group[15]};
  send_icmp6(s, mac, src, group, kNdHopLimit, ns, sizeof(ns));
}

void ip6_unreachable(Stack& s, const uint8_t* ip, size_t len, uint8_t code4) {
  if (len < kIp6Header || s.ip6_peers() == nullptr || !ip6_is_ours(s, ip + 24)) return;
  const Ip6Peers::Peer* peer = s.ip6_peers()->find(s.ip6_peers()->standin_of(ip + 8, false));
  if (peer == nullptr || !peer->mac_known) return;
  send_error(s, peer->mac, ip, len, kIcmp6DestUnreach, code4 == Icmp::kPortUnreachable ? 4 : 0, 0);
}

void ip6_param_problem(Stack& s, const uint8_t* eth_src, const uint8_t* ip, size_t len, uint8_t code,
                       uint32_t pointer) {
  send_error(s, eth_src, ip, len, kIcmp6ParamProblem, code, pointer);
}

void ip6_input(Stack& s, const uint8_t* eth_src, const uint8_t* ip, size_t len, bool loopback) {
  StackStats& st = s.stats();
  if (!s.config().ipv6) {
    ++st.rx_unknown_ethertype;
    return;
  }
  if (len < kIp6Header || (ip[0] >> 4) != 6) {
    ++st.rx_bad_ip6;
    return;
  }
  size_t plen = load16(ip + 4);
  if (kIp6Header + plen > len) {  // longer frames: Ethernet padding
    ++st.rx_bad_ip6;
    return;
  }
  const uint8_t* dst = ip + 24;
  if (!ip6_is_ours(s, dst) && !is_our_group(s, dst)) {
    ++st.rx_ip6_not_for_us;
    return;
  }
  Ip6Upper up{};
  PacketBuf* whole = nullptr;
  bool deliver = ip6_walk(s, eth_src, ip, kIp6Header + plen, loopback, &up, &whole);
  if (whole != nullptr) ip = whole->frame();
  if (deliver) upper_input(s, eth_src, ip, up, (whole != nullptr ? whole->len : kIp6Header + plen) - up.off, loopback);
  if (whole != nullptr) mem_free(whole);
}

namespace {

void upper_input(Stack& s, const uint8_t* eth_src, const uint8_t* ip, const Ip6Upper& up, size_t plen,
                 bool loopback) {
  if (up.proto != kProtoIcmp6) {
    transport_input(s, eth_src, ip, up.off, plen, up.proto, loopback);
    return;
  }
  StackStats& st = s.stats();
  const uint8_t* dst = ip + 24;
  const uint8_t* msg = ip + up.off;
  if (plen < 4 || (!loopback && icmp6_checksum(ip + 8, dst, msg, plen) != 0)) {
    ++st.rx_bad_icmp;
    return;
  }
  switch (msg[0]) {
    case kNdSolicit:
      neighbour_solicit(s, eth_src, ip, msg, plen);
      return;
    case kNdAdvert:
      neighbour_advert(s, ip, msg, plen);
      return;
    case kIcmp6EchoRequest:
      if (msg[1] == 0 && plen >= 8) echo_request(s, eth_src, ip, msg, plen);
      return;
    case kIcmp6DestUnreach:
    case kIcmp6PacketTooBig:
      dest_unreachable(s, msg, plen);
      return;
    case kRouterAdvert:
      ip6_router_advert(s, eth_src, ip, msg, plen);
      return;
    default:
      return;  // solicitations (a host discards them), other errors
  }
}

}  // namespace

}  // namespace libos::inet
