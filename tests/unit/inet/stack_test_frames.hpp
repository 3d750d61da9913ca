// Hand-built frames and small fixtures for the stack-core tests (Ethernet,
// ARP, IPv4, ICMP, UDP): every test states its packets byte by byte, so a
// test checks the stack against the RFCs, not against itself.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "inet/checksum.hpp"
#include "inet/stack.hpp"
#include "wire.hpp"

namespace shoal::test {

using Bytes = std::vector<uint8_t>;

// a.b.c.d in network byte order.
constexpr uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} | uint32_t{b} << 8 | uint32_t{c} << 16 | uint32_t{d} << 24;
}

inline const uint8_t kMacA[6] = {0x02, 0, 0, 0, 0, 0x0a};
inline const uint8_t kMacB[6] = {0x02, 0, 0, 0, 0, 0x0b};
inline const uint8_t kMacHost[6] = {0x02, 0, 0, 0, 0, 0x99};
inline const uint8_t kBcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr uint32_t kIpA = ip4(10, 0, 0, 1), kIpB = ip4(10, 0, 0, 2), kIpHost = ip4(10, 0, 0, 99);

inline uint32_t test_random32() {
  static uint64_t s = 0x9e3779b97f4a7c15ull;
  s = s * 6364136223846793005ull + 1442695040888963407ull;
  return static_cast<uint32_t>(s >> 33);
}

inline libos::inet::StackConfig config_of(const uint8_t* mac, uint32_t ip) {
  libos::inet::StackConfig c;
  memcpy(c.mac, mac, 6);
  c.ip = ip;
  c.prefix = 24;
  c.gateway = 0;
  c.mtu = 1500;
  return c;
}

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t get_addr(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

inline Bytes eth(const uint8_t* dst, const uint8_t* src, uint16_t type, const Bytes& payload) {
  Bytes f(14);
  memcpy(f.data(), dst, 6);
  memcpy(f.data() + 6, src, 6);
  put16(f, 12, type);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

inline Bytes arp_packet(uint16_t op, const uint8_t* sha, uint32_t spa, const uint8_t* tha, uint32_t tpa) {
  Bytes p(28);
  put16(p, 0, 1);
  put16(p, 2, 0x0800);
  p[4] = 6;
  p[5] = 4;
  put16(p, 6, op);
  memcpy(p.data() + 8, sha, 6);
  memcpy(p.data() + 14, &spa, 4);
  memcpy(p.data() + 18, tha, 6);
  memcpy(p.data() + 24, &tpa, 4);
  return p;
}

struct IpOpts {
  uint16_t id = 1;
  uint16_t frag = 0;  // flags + offset field as on the wire
  size_t options = 0; // bytes of options (multiple of 4)
  uint8_t ttl = 64;
};

inline Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& payload, IpOpts o = {}) {
  size_t hl = 20 + o.options;
  Bytes p(hl);
  p[0] = static_cast<uint8_t>(0x40 | hl / 4);
  put16(p, 2, static_cast<uint16_t>(hl + payload.size()));
  put16(p, 4, o.id);
  put16(p, 6, o.frag);
  p[8] = o.ttl;
  p[9] = proto;
  memcpy(p.data() + 12, &src, 4);
  memcpy(p.data() + 16, &dst, 4);
  for (size_t i = 20; i < hl; ++i) p[i] = 1;  // NOP options
  uint16_t sum = libos::inet::checksum(p.data(), hl);
  memcpy(p.data() + 10, &sum, 2);
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

inline Bytes udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& data,
                 bool with_checksum = true) {
  Bytes u(8);
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, static_cast<uint16_t>(8 + data.size()));
  u.insert(u.end(), data.begin(), data.end());
  if (with_checksum) {
    using namespace libos::inet;
    uint16_t sum = csum_fold(csum_add(csum_pseudo(src, dst, 17, static_cast<uint16_t>(u.size())), u.data(), u.size()));
    if (sum == 0) sum = 0xffff;
    memcpy(u.data() + 6, &sum, 2);
  }
  return u;
}

inline Bytes icmp_echo(uint16_t id, uint16_t seq, const Bytes& data, uint8_t type = 8) {
  Bytes m(8);
  m[0] = type;
  put16(m, 4, id);
  put16(m, 6, seq);
  m.insert(m.end(), data.begin(), data.end());
  uint16_t sum = libos::inet::checksum(m.data(), m.size());
  memcpy(m.data() + 2, &sum, 2);
  return m;
}

inline Bytes pattern(size_t n, uint8_t seed = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + seed + (i >> 8));
  return b;
}

// One stack (10.0.0.2, kMacB) talking to a scripted "host" (10.0.0.99): the
// test feeds frames and inspects what the stack sent.
class OneStack : public ::testing::Test {
 protected:
  OneStack() : stack(config_of(kMacB, kIpB), dev, test_random32) {
    stack.set_now(now);
    dev.sent.clear();  // the gratuitous ARP
  }
  void feed(const Bytes& frame) { stack.input(frame.data(), frame.size()); }
  // An IPv4 packet from the host to the stack.
  void feed_ip(const Bytes& pkt) { feed(eth(kMacB, kMacHost, 0x0800, pkt)); }
  // Teaches the stack the host's MAC (an ARP request from the host).
  void learn_host() {
    feed(eth(kBcast, kMacHost, 0x0806, arp_packet(1, kMacHost, kIpHost, kBcast, kIpB)));
    dev.sent.clear();
  }
  void advance(uint64_t ns) {
    now += ns;
    stack.set_now(now);
    stack.run_timers();
  }
  std::vector<Bytes> take() {
    std::vector<Bytes> out(dev.sent.begin(), dev.sent.end());
    dev.sent.clear();
    return out;
  }

  uint64_t now = 1'000'000'000;
  WireEnd dev;
  libos::inet::Stack stack;
};

// Two stacks on one Wire: a = 10.0.0.1, b = 10.0.0.2.
class TwoStacks : public ::testing::Test {
 protected:
  TwoStacks() : TwoStacks(config_of(kMacA, kIpA), config_of(kMacB, kIpB)) {}
  TwoStacks(const libos::inet::StackConfig& ca, const libos::inet::StackConfig& cb)
      : a(ca, wire.dev_a, test_random32), b(cb, wire.dev_b, test_random32) {
    a.set_now(wire.now);
    b.set_now(wire.now);
  }
  bool run_until(const std::function<bool()>& done, uint64_t limit_ns = 10'000'000'000ull) {
    return wire.run_until(a, b, done, limit_ns);
  }
  void settle(uint64_t ns = 100'000'000) {
    uint64_t end = wire.now + ns;
    wire.run_until(a, b, [&] { return wire.now >= end; }, ns + 1);
  }

  Wire wire;
  libos::inet::Stack a, b;
};

}  // namespace shoal::test
