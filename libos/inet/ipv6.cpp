// IPv6 input and the ICMPv6 that neighbour discovery and echo need (see
// ipv6.hpp for what is and is not there).
#include "inet/ipv6.hpp"

#include "inet/bytes.hpp"
#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/stack.hpp"

namespace libos::inet {
namespace {

constexpr uint8_t kIcmp6DestUnreach = 1, kIcmp6EchoRequest = 128, kIcmp6EchoReply = 129;
constexpr uint8_t kNdSolicit = 135, kNdAdvert = 136;
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
  uint8_t ll[16], g[16];
  ip6_link_local(s.config().mac, ll);
  solicited_node(ll, g);
  if (same(dst, g)) return true;
  if (!has_static(s)) return false;
  solicited_node(s.config().ip6, g);
  return same(dst, g);
}

// Sends one ICMPv6 message of len bytes (checksum field zero) from src to
// dst at Ethernet address mac.
void send_icmp6(Stack& s, const uint8_t* mac, const uint8_t src[16], const uint8_t dst[16], uint8_t hops,
                const uint8_t* msg, size_t len) {
  size_t total = kEthHeader + kIp6Header + len;
  if (total > kEthHeader + s.config().mtu) return;
  uint8_t* f = s.device().tx_buffer();
  if (f == nullptr) {
    ++s.stats().tx_no_room;
    return;
  }
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
  m[2] = m[3] = 0;
  uint16_t sum = icmp6_checksum(src, dst, m, len);
  memcpy(m + 2, &sum, 2);
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
  // data echoed); the buffer is the device's, the message is copied in.
  uint8_t reply[kMaxFrame];
  if (len > sizeof(reply)) return;
  memcpy(reply, msg, len);
  reply[0] = kIcmp6EchoReply;
  ++s.stats().icmp6_echo_answered;
  send_icmp6(s, eth_src, from, src, kHopLimit, reply, len);
}

// A TCP or UDP packet to one of our addresses: no IPv6 transport listens
// yet, so the sender learns at once (ICMPv6 port unreachable, which Linux
// reports as ECONNREFUSED) instead of retrying into silence.
void port_unreachable(Stack& s, const uint8_t* eth_src, const uint8_t* ip, size_t len) {
  const uint8_t* src = ip + 8;
  if (is_zero(src) || is_multicast(src) || !ip6_is_ours(s, ip + 24)) return;
  uint8_t msg[kMinMtu6 - kIp6Header];
  size_t quote = len < sizeof(msg) - 8 ? len : sizeof(msg) - 8;
  memset(msg, 0, 8);
  msg[0] = kIcmp6DestUnreach;
  msg[1] = 4;  // port unreachable
  memcpy(msg + 8, ip, quote);
  send_icmp6(s, eth_src, ip + 24, src, kHopLimit, msg, 8 + quote);
}

}  // namespace

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

void ip6_input(Stack& s, const uint8_t* eth_src, const uint8_t* ip, size_t len) {
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
  uint8_t next = ip[6];
  if (next == kProtoTcp || next == kProtoUdp) {
    port_unreachable(s, eth_src, ip, kIp6Header + plen);
    return;
  }
  if (next != kProtoIcmp6) {
    ++st.rx_unknown_proto;  // extension headers, fragments: not handled
    return;
  }
  const uint8_t* msg = ip + kIp6Header;
  if (plen < 4 || icmp6_checksum(ip + 8, dst, msg, plen) != 0) {
    ++st.rx_bad_icmp;
    return;
  }
  switch (msg[0]) {
    case kNdSolicit:
      neighbour_solicit(s, eth_src, ip, msg, plen);
      return;
    case kIcmp6EchoRequest:
      if (msg[1] == 0 && plen >= 8) echo_request(s, eth_src, ip, msg, plen);
      return;
    default:
      return;  // advertisements, router messages, errors: nothing to do yet
  }
}

}  // namespace libos::inet
