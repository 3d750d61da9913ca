// The IPv6 extension header chain of a received packet (RFC 8200 4), walked
// as Linux's ip6_input does for a host:
//   Hop-by-Hop options (only first) and Destination options: each option
//     skipped, or acted on by the two high bits of its type when unknown
//     (skip; drop; drop + Parameter Problem code 2; the same unless the
//     destination is a group);
//   Routing: skipped when no segments are left; with segments left (type 0,
//     deprecated by RFC 5095, or any other: a host forwards nothing)
//     Parameter Problem code 0 pointing at the routing type;
//   Fragment: an atomic fragment (offset 0, no more: RFC 6946) is just
//     skipped; others go to the reassembly table (reassembly.hpp, shared
//     with IPv4, 60 s) and the walk goes on in the whole datagram;
//   No Next Header: dropped; an unknown next header: Parameter Problem
//     code 1 pointing at the field that named it.
#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/ipv6.hpp"
#include "inet/reassembly.hpp"
#include "inet/stack.hpp"
#include "inet/tcp.hpp"

namespace libos::inet {
namespace {

constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kNoNext = 59, kDestOpts = 60;
constexpr uint8_t kProbHeader = 0, kProbNextHeader = 1, kProbOption = 2;
// The largest payload a reassembled IPv6 datagram may have (the 16-bit
// payload length of its header).
constexpr size_t kMaxPayload6 = 65535;

// The options of a Hop-by-Hop or Destination options header at off (hlen
// bytes). false: the packet is dropped (an error sent when asked for).
bool options_ok(Stack& s, const uint8_t* eth_src, const uint8_t* ip, size_t len, size_t off, size_t hlen,
                bool loopback) {
  const uint8_t* h = ip + off;
  for (size_t o = 2; o < hlen;) {
    uint8_t type = h[o];
    if (type == 0) {  // Pad1
      ++o;
      continue;
    }
    if (o + 2 > hlen || o + 2 + h[o + 1] > hlen) {
      ++s.stats().rx_bad_ip6;
      if (!loopback) ip6_param_problem(s, eth_src, ip, len, kProbHeader, static_cast<uint32_t>(off + 1));
      return false;
    }
    // PadN and Router Alert (RFC 2711) need nothing from a host.
    if (type != 1 && type != 5) {
      bool group = ip[24] == 0xff;
      switch (type >> 6) {
        case 0:
          break;
        case 2:
        case 3:
          if (!loopback && (type >> 6 == 2 || !group))
            ip6_param_problem(s, eth_src, ip, len, kProbOption, static_cast<uint32_t>(off + o));
          [[fallthrough]];
        default:
          ++s.stats().rx_bad_ip6;
          return false;
      }
    }
    o += 2 + size_t{h[o + 1]};
  }
  return true;
}

}  // namespace

bool ip6_walk(Stack& s, const uint8_t* eth_src, const uint8_t* ip, size_t len, bool loopback, Ip6Upper* up,
              PacketBuf** whole) {
  *whole = nullptr;
  StackStats& st = s.stats();
  uint8_t next = ip[6];
  size_t field = 6;  // where `next` was read: a Parameter Problem points there
  size_t off = kIp6Header;
  for (;;) {
    const uint8_t* h = ip + off;
    switch (next) {
      case kHopByHop:
      case kDestOpts:
      case kRouting: {
        if (next == kHopByHop && off != kIp6Header) break;  // only first: unknown elsewhere
        if (len - off < 8 || off + (size_t{h[1]} + 1) * 8 > len) {
          ++st.rx_bad_ip6;
          if (!loopback) ip6_param_problem(s, eth_src, ip, len, kProbHeader, 4);
          return false;
        }
        size_t hlen = (size_t{h[1]} + 1) * 8;
        if (next == kRouting && h[3] != 0) {
          ++st.rx_bad_ip6;
          if (!loopback) ip6_param_problem(s, eth_src, ip, len, kProbHeader, static_cast<uint32_t>(off + 2));
          return false;
        }
        if (next != kRouting && !options_ok(s, eth_src, ip, len, off, hlen, loopback)) return false;
        field = off;
        next = h[0];
        off += hlen;
        continue;
      }
      case kFragment: {
        if (len - off < 8) {
          ++st.rx_bad_ip6;
          return false;
        }
        uint16_t word = load16(h + 2);
        size_t frag_off = word & 0xfff8u;
        bool more = (word & 1) != 0;
        if (frag_off == 0 && !more) {  // atomic (RFC 6946): not reassembled
          field = off;
          next = h[0];
          off += 8;
          continue;
        }
        ++st.frags_received;
        size_t data_len = len - off - 8;
        // RFC 8200 4.5: a non-final fragment whose length is not a multiple
        // of 8, or one that ends past 65535, gets a Parameter Problem.
        if (more && data_len % 8 != 0) {
          ++st.frags_dropped;
          if (!loopback) ip6_param_problem(s, eth_src, ip, len, kProbHeader, 4);
          return false;
        }
        if (frag_off + data_len > kMaxPayload6) {
          ++st.frags_dropped;
          if (!loopback) ip6_param_problem(s, eth_src, ip, len, kProbHeader, static_cast<uint32_t>(off + 2));
          return false;
        }
        Reassembly* r = s.ip6_reassembly();
        if (*whole != nullptr || r == nullptr) {  // a fragment inside a reassembled datagram
          ++st.frags_dropped;
          return false;
        }
        // The whole datagram gets our fixed header, its Next Header the
        // fragmentable part's (the headers before this one are done).
        uint8_t header[kIp6Header];
        memcpy(header, ip, kIp6Header);
        header[6] = h[0];
        Reassembly::Fragment f{};
        memcpy(f.key.src, ip + 8, 16);
        memcpy(f.key.dst, ip + 24, 16);
        f.key.id = load32(h + 4);
        f.off = frag_off;
        f.more = more;
        f.data = h + 8;
        f.len = data_len;
        f.header = header;
        f.header_len = kIp6Header;
        // A device's word on a checksum covers its frame, not the datagram.
        s.distrust_rx();
        PacketBuf* done = r->add(f);
        if (done == nullptr) return false;
        store16(done->frame() + 4, static_cast<uint16_t>(done->len - kIp6Header));
        *whole = done;
        ip = done->frame();
        len = done->len;
        next = ip[6];
        field = 6;
        off = kIp6Header;
        continue;
      }
      case kNoNext:
        return false;
      case kProtoTcp:
      case kProtoUdp:
      case kProtoIcmp6:
        up->proto = next;
        up->off = off;
        return true;
      default:
        break;
    }
    // An unknown next header (or Hop-by-Hop out of place).
    ++st.rx_unknown_proto;
    if (!loopback) ip6_param_problem(s, eth_src, ip, len, kProbNextHeader, static_cast<uint32_t>(field));
    return false;
  }
}

}  // namespace libos::inet
