// Hand-built IPv6 frames for the stack's unit tests (ipv6_test.cpp,
// ipv6_ext_test.cpp, ipv6_demux_test.cpp): addresses, IPv6/ICMPv6/UDP/TCP
// packets with their checksums, and a fixture with one IPv6 stack (B, at
// fd00:99::2/64) whose sent frames the test takes and checks.
#pragma once

#include <gtest/gtest.h>

#include <array>

#include "inet/ipv6.hpp"
#include "tcp_test_util.hpp"

namespace shoal::test {

using libos::inet::icmp6_checksum;
using libos::inet::ip6_link_local;

using A6 = std::array<uint8_t, 16>;

inline A6 a6(std::initializer_list<uint8_t> head, std::initializer_list<uint8_t> tail) {
  A6 a{};
  size_t i = 0;
  for (uint8_t b : head) a[i++] = b;
  i = 16 - tail.size();
  for (uint8_t b : tail) a[i++] = b;
  return a;
}

inline const A6 kStatic = a6({0xfd, 0x00, 0x00, 0x99}, {0x02});            // fd00:99::2
inline const A6 kHost6 = a6({0xfd, 0x00, 0x00, 0x99}, {0x01});             // fd00:99::1
inline const A6 kHostLL = a6({0xfe, 0x80}, {0x99});                         // fe80::99
inline const A6 kAllNodes = a6({0xff, 0x02}, {0x01});
inline const A6 kUnspec{};

inline A6 solicited(const A6& a) {
  A6 g = a6({0xff, 0x02}, {0x01, 0xff, a[13], a[14], a[15]});
  return g;
}

inline Bytes ip6(const A6& src, const A6& dst, uint8_t next, const Bytes& payload, uint8_t hops = 255) {
  Bytes p(40);
  p[0] = 0x60;
  put16(p, 4, static_cast<uint16_t>(payload.size()));
  p[6] = next;
  p[7] = hops;
  memcpy(p.data() + 8, src.data(), 16);
  memcpy(p.data() + 24, dst.data(), 16);
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

// An ICMPv6 message with its checksum for src -> dst.
inline Bytes icmp6(const A6& src, const A6& dst, Bytes msg) {
  msg[2] = msg[3] = 0;
  uint16_t sum = icmp6_checksum(src.data(), dst.data(), msg.data(), msg.size());
  memcpy(msg.data() + 2, &sum, 2);
  return msg;
}

inline Bytes ns_msg(const A6& target, const uint8_t* src_mac) {
  Bytes m(24, 0);
  m[0] = 135;
  memcpy(m.data() + 8, target.data(), 16);
  if (src_mac != nullptr) {
    m.push_back(1);
    m.push_back(1);
    m.insert(m.end(), src_mac, src_mac + 6);
  }
  return m;
}

inline Bytes echo6(uint16_t id, uint16_t seq, const Bytes& data) {
  Bytes m(8, 0);
  m[0] = 128;
  put16(m, 4, id);
  put16(m, 6, seq);
  m.insert(m.end(), data.begin(), data.end());
  return m;
}

inline uint8_t kGroupMac(const A6& g, uint8_t out[6]) {
  out[0] = out[1] = 0x33;
  memcpy(out + 2, g.data() + 12, 4);
  return 0;
}

class Ipv6Test : public ::testing::Test {
 protected:
  Ipv6Test() : stack(config6(), dev, test_random32) {
    stack.set_now(1'000'000'000);
    dev.sent.clear();
    ip6_link_local(kMacB, ll.data());
  }
  static libos::inet::StackConfig config6() {
    libos::inet::StackConfig c = config_of(kMacB, kIpB);
    c.ipv6 = true;
    memcpy(c.ip6, kStatic.data(), 16);
    c.ip6_prefix = 64;
    return c;
  }
  void feed6(const uint8_t* dst_mac, const Bytes& pkt) {
    Bytes f = eth(dst_mac, kMacHost, 0x86dd, pkt);
    stack.input(f.data(), f.size());
  }
  std::vector<Bytes> take() {
    std::vector<Bytes> out(dev.sent.begin(), dev.sent.end());
    dev.sent.clear();
    return out;
  }
  // Checks an answer's Ethernet and IPv6 headers and its ICMPv6 checksum;
  // returns the ICMPv6 message.
  Bytes answer(const Bytes& f, const uint8_t* mac, const A6& src, const A6& dst, uint8_t hops) {
    EXPECT_GE(f.size(), 14u + 40u);
    if (f.size() < 54) return {};
    EXPECT_EQ(memcmp(f.data(), mac, 6), 0);
    EXPECT_EQ(memcmp(f.data() + 6, kMacB, 6), 0);
    EXPECT_EQ(get16(f.data() + 12), 0x86dd);
    const uint8_t* ip = f.data() + 14;
    EXPECT_EQ(ip[0], 0x60);
    size_t plen = get16(ip + 4);
    EXPECT_EQ(plen + 54, f.size());
    EXPECT_EQ(ip[6], 58);
    EXPECT_EQ(ip[7], hops);
    EXPECT_EQ(memcmp(ip + 8, src.data(), 16), 0);
    EXPECT_EQ(memcmp(ip + 24, dst.data(), 16), 0);
    EXPECT_EQ(icmp6_checksum(ip + 8, ip + 24, ip + 40, plen), 0);
    return Bytes(ip + 40, ip + 40 + plen);
  }

  WireEnd dev;
  libos::inet::Stack stack;
  A6 ll{};
};

// A UDP datagram (checksummed over IPv6's pseudo-header unless sum is given).
inline Bytes udp6(const A6& src, const A6& dst, uint16_t sport, uint16_t dport, const Bytes& data, int sum = -1) {
  Bytes u(8);
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, static_cast<uint16_t>(8 + data.size()));
  u.insert(u.end(), data.begin(), data.end());
  if (sum >= 0) {
    put16(u, 6, static_cast<uint16_t>(sum));
    return u;
  }
  using namespace libos::inet;
  uint16_t c = csum_fold(csum_add(ip6_pseudo(src.data(), dst.data(), 17, static_cast<uint32_t>(u.size())), u.data(), u.size()));
  memcpy(u.data() + 6, &c, 2);
  return u;
}

inline Bytes tcp6(const A6& src, const A6& dst, const SegSpec& spec) {
  Bytes t = tcp_segment(0, 0, spec);
  t[16] = t[17] = 0;
  using namespace libos::inet;
  uint16_t c = csum_fold(csum_add(ip6_pseudo(src.data(), dst.data(), 6, static_cast<uint32_t>(t.size())), t.data(), t.size()));
  memcpy(t.data() + 16, &c, 2);
  return t;
}

}  // namespace shoal::test
