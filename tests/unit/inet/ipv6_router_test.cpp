// Router discovery and SLAAC (ipv6_router.cpp) against hand-built Router
// Advertisements: a stack without a static address solicits routers (3
// times, 4 s apart), forms fd00:77::<EUI-64 of its MAC> from a /64 prefix
// with the A flag as Linux does, and sends off-link traffic through the
// default router's MAC; a bad advertisement changes nothing, and a router
// whose lifetime ends is forgotten.
#include <gtest/gtest.h>

#include "inet/ipv6_peers.hpp"
#include "inet/udp.hpp"
#include "ipv6_test_util.hpp"

namespace shoal::test {
namespace {

using libos::inet::UdpSocket;

const uint8_t kRouterMac[6] = {0x02, 0, 0, 0, 0, 0x77};
const A6 kRouterLL = a6({0xfe, 0x80}, {0x77});
const A6 kPrefix = a6({0xfd, 0x00, 0x00, 0x77}, {});
const A6 kFar = a6({0x20, 0x01, 0x0d, 0xb8}, {0x42});  // off-link

// A Router Advertisement: router lifetime, the router's MAC option, and
// one Prefix Information option (prefix/len, flags L|A by default).
Bytes ra(uint16_t lifetime, const A6& prefix, uint8_t len = 64, uint8_t flags = 0xc0, uint32_t valid = 86400) {
  Bytes m(16, 0);
  m[0] = 134;
  m[4] = 64;
  put16(m, 6, lifetime);
  m.insert(m.end(), {1, 1});
  m.insert(m.end(), kRouterMac, kRouterMac + 6);
  Bytes p(32, 0);
  p[0] = 3;
  p[1] = 4;
  p[2] = len;
  p[3] = flags;
  put32(p, 4, valid);
  put32(p, 8, valid / 2);
  memcpy(p.data() + 16, prefix.data(), 16);
  m.insert(m.end(), p.begin(), p.end());
  return m;
}

class Ipv6Router : public ::testing::Test {
 protected:
  Ipv6Router() : stack(config(), dev, test_random32) { ip6_link_local(kMacB, ll.data()); }
  static libos::inet::StackConfig config() {
    libos::inet::StackConfig c = config_of(kMacB, kIpB);
    c.ipv6 = true;  // no static address
    return c;
  }
  std::vector<Bytes> take() {
    std::vector<Bytes> out(dev.sent.begin(), dev.sent.end());
    dev.sent.clear();
    return out;
  }
  void advertise(const Bytes& msg, uint8_t hops = 255, const A6& from = kRouterLL) {
    Bytes f = eth(kMacB, kRouterMac, 0x86dd, ip6(from, kAllNodes, 58, icmp6(from, kAllNodes, msg), hops));
    stack.input(f.data(), f.size());
  }
  // Router Solicitations among frames.
  int solicitations(const std::vector<Bytes>& frames) {
    int n = 0;
    for (const Bytes& f : frames) {
      if (f.size() < 14 + 40 + 16 || get16(f.data() + 12) != 0x86dd || f[14 + 6] != 58 || f[54] != 133) continue;
      const uint8_t all_routers_mac[6] = {0x33, 0x33, 0, 0, 0, 2};
      EXPECT_EQ(memcmp(f.data(), all_routers_mac, 6), 0);
      const uint8_t* ip = f.data() + 14;
      EXPECT_EQ(ip[7], 255);
      EXPECT_EQ(memcmp(ip + 8, ll.data(), 16), 0);
      EXPECT_EQ(memcmp(ip + 24, a6({0xff, 0x02}, {0x02}).data(), 16), 0);
      EXPECT_EQ(libos::inet::icmp6_checksum(ip + 8, ip + 24, ip + 40, get16(ip + 4)), 0);
      EXPECT_EQ(memcmp(f.data() + 54 + 10, kMacB, 6), 0);  // source link-layer option
      ++n;
    }
    return n;
  }
  void advance(uint64_t ns) {
    stack.set_now(stack.now() + ns);
    stack.run_timers();
  }
  A6 slaac() const {
    A6 a = ll;
    memcpy(a.data(), kPrefix.data(), 8);
    return a;
  }

  WireEnd dev;
  libos::inet::Stack stack;
  A6 ll{};
};

TEST_F(Ipv6Router, SolicitsThreeTimesFourSecondsApart) {
  stack.set_now(1'000'000'000);
  stack.run_timers();
  EXPECT_EQ(solicitations(take()), 1);
  advance(3'999'999'999);
  EXPECT_EQ(solicitations(take()), 0);
  advance(1);
  EXPECT_EQ(solicitations(take()), 1);
  advance(4'000'000'000);
  EXPECT_EQ(solicitations(take()), 1);
  advance(40'000'000'000);
  EXPECT_EQ(solicitations(take()), 0);
}

TEST_F(Ipv6Router, AnAdvertisementStopsTheSolicitationsAndGivesAnAddress) {
  stack.set_now(1'000'000'000);
  stack.run_timers();
  take();
  EXPECT_EQ(stack.config().ip6_prefix, 0);
  advertise(ra(1800, kPrefix));
  EXPECT_EQ(stack.stats().ip6_slaac, 1u);
  EXPECT_EQ(stack.config().ip6_prefix, 64);
  A6 want = slaac();
  // fd00:77::ff:fe00:b for MAC 02:00:00:00:00:0b, as Linux's EUI-64.
  EXPECT_EQ(want, a6({0xfd, 0x00, 0x00, 0x77}, {0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x0b}));
  EXPECT_TRUE(libos::inet::ip6_is_ours(stack, want.data()));
  EXPECT_TRUE(stack.is_local(stack.ip6_peers()->standin_of(want.data(), false)));
  advance(10'000'000'000);
  EXPECT_EQ(solicitations(take()), 0);
  // A second prefix does not replace the address.
  advertise(ra(1800, a6({0xfd, 0x00, 0x00, 0x78}, {})));
  EXPECT_EQ(stack.stats().ip6_slaac, 1u);
}

TEST_F(Ipv6Router, AdvertisementsAndPrefixesThatMustBeIgnored) {
  advertise(ra(1800, kPrefix), 64);                // forwarded (hop limit 64)
  advertise(ra(1800, kPrefix), 255, kHost6);       // not from a link-local address
  EXPECT_EQ(stack.ip6_peers()->router().standin, 0u);
  EXPECT_EQ(stack.stats().rx_bad_ip6, 2u);
  // Valid advertisements (the router is taken) with prefixes SLAAC skips.
  advertise(ra(1800, kPrefix, 64, 0x80));          // no A flag
  advertise(ra(1800, kPrefix, 48));                // not a /64
  advertise(ra(1800, kPrefix, 64, 0xc0, 0));       // valid lifetime 0
  advertise(ra(1800, a6({0xfe, 0x80}, {})));       // link-local prefix
  EXPECT_NE(stack.ip6_peers()->router().standin, 0u);
  EXPECT_EQ(stack.stats().ip6_slaac, 0u);
  EXPECT_EQ(stack.config().ip6_prefix, 0);
}

TEST_F(Ipv6Router, OffLinkPeersGoThroughTheDefaultRouter) {
  UdpSocket* sock = UdpSocket::create(stack);
  uint32_t far = stack.ip6_peers()->standin_of(kFar.data(), true);
  // No router yet: an off-link peer that never wrote has no route.
  EXPECT_EQ(sock->sendto("x", 1, true, far, 53), -ENETUNREACH);
  advertise(ra(1800, kPrefix));
  take();
  ASSERT_EQ(sock->sendto("hello", 5, true, far, 53), 5);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);  // the router's MAC came in its advertisement
  EXPECT_EQ(memcmp(out[0].data(), kRouterMac, 6), 0);
  const uint8_t* ip = out[0].data() + 14;
  EXPECT_EQ(ip[6], 17);
  EXPECT_EQ(memcmp(ip + 8, slaac().data(), 16), 0);  // from the SLAAC address
  EXPECT_EQ(memcmp(ip + 24, kFar.data(), 16), 0);
  // The router's lifetime ends: off-link peers have no route again.
  advance(1801ull * 1'000'000'000);
  EXPECT_EQ(stack.ip6_peers()->router().standin, 0u);
  uint32_t far2 = stack.ip6_peers()->standin_of(a6({0x20, 0x01, 0x0d, 0xb8}, {0x43}).data(), true);
  EXPECT_EQ(sock->sendto("x", 1, true, far2, 53), -ENETUNREACH);
  // A lifetime of 0 withdraws a router at once.
  advertise(ra(1800, kPrefix));
  EXPECT_NE(stack.ip6_peers()->router().standin, 0u);
  advertise(ra(0, kPrefix));
  EXPECT_EQ(stack.ip6_peers()->router().standin, 0u);
  sock->close();
}

TEST_F(Ipv6Router, WithAStaticAddressNoSolicitationButARouterIsTaken) {
  WireEnd d2;
  libos::inet::StackConfig c = config();
  memcpy(c.ip6, kStatic.data(), 16);
  c.ip6_prefix = 64;
  libos::inet::Stack s2(c, d2, test_random32);
  s2.set_now(1'000'000'000);
  s2.run_timers();
  for (const Bytes& f : d2.sent) EXPECT_FALSE(f.size() > 54 && get16(f.data() + 12) == 0x86dd && f[54] == 133);
  Bytes f = eth(kMacB, kRouterMac, 0x86dd, ip6(kRouterLL, kAllNodes, 58, icmp6(kRouterLL, kAllNodes, ra(600, kPrefix))));
  s2.input(f.data(), f.size());
  EXPECT_NE(s2.ip6_peers()->router().standin, 0u);
  EXPECT_EQ(memcmp(s2.config().ip6, kStatic.data(), 16), 0);  // the static address stays
  EXPECT_EQ(s2.stats().ip6_slaac, 0u);
}

}  // namespace
}  // namespace shoal::test
