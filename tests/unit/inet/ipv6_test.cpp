// IPv6 on the device: neighbour discovery answers (NS -> NA), ICMPv6 echo,
// TCP and UDP against hand-built frames (port unreachable, RST, checksums,
// the neighbour cache, ICMPv6 errors to sockets), and every malformed or foreign
// packet dropped with its counter. Frames are built by hand here, and the
// answers checked field by field (checksums included).
#include <gtest/gtest.h>

#include "inet/ipv6_peers.hpp"
#include "inet/udp.hpp"
#include "ipv6_test_util.hpp"

namespace shoal::test {
namespace {

TEST_F(Ipv6Test, LinkLocalIsEui64OfTheMac) {
  // 02:00:00:00:00:0b -> fe80::ff:fe00:b (the U/L bit flipped).
  A6 want = a6({0xfe, 0x80}, {0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x0b});
  EXPECT_EQ(ll, want);
}

TEST_F(Ipv6Test, SolicitationForEachAddressGetsAnAdvertisement) {
  for (const A6& target : {kStatic, ll}) {
    uint8_t gmac[6];
    kGroupMac(solicited(target), gmac);
    const A6& src = target == ll ? kHostLL : kHost6;
    feed6(gmac, ip6(src, solicited(target), 58, icmp6(src, solicited(target), ns_msg(target, kMacHost))));
    auto out = take();
    ASSERT_EQ(out.size(), 1u);
    Bytes na = answer(out[0], kMacHost, target, src, 255);
    ASSERT_EQ(na.size(), 32u);
    EXPECT_EQ(na[0], 136);
    EXPECT_EQ(na[1], 0);
    EXPECT_EQ(na[4], 0x60);  // solicited, override
    EXPECT_EQ(memcmp(na.data() + 8, target.data(), 16), 0);
    EXPECT_EQ(na[24], 2);  // target link-layer address
    EXPECT_EQ(na[25], 1);
    EXPECT_EQ(memcmp(na.data() + 26, kMacB, 6), 0);
  }
  EXPECT_EQ(stack.stats().nd_answered, 2u);
}

TEST_F(Ipv6Test, DuplicateAddressDetectionIsAnsweredToAllNodes) {
  uint8_t gmac[6];
  kGroupMac(solicited(kStatic), gmac);
  feed6(gmac, ip6(kUnspec, solicited(kStatic), 58, icmp6(kUnspec, solicited(kStatic), ns_msg(kStatic, nullptr))));
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  const uint8_t all_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
  Bytes na = answer(out[0], all_mac, kStatic, kAllNodes, 255);
  ASSERT_EQ(na.size(), 32u);
  EXPECT_EQ(na[4], 0x20);  // not solicited
}

TEST_F(Ipv6Test, SolicitationsThatMustBeIgnored) {
  uint8_t gmac[6];
  kGroupMac(solicited(kStatic), gmac);
  // Someone else's address: silence, no error.
  A6 other = a6({0xfd, 0x00, 0x00, 0x99}, {0x07});
  feed6(gmac, ip6(kHost6, solicited(kStatic), 58, icmp6(kHost6, solicited(kStatic), ns_msg(other, kMacHost))));
  // Forwarded (hop limit below 255): refused (RFC 4861 7.1.1).
  feed6(gmac, ip6(kHost6, solicited(kStatic), 58, icmp6(kHost6, solicited(kStatic), ns_msg(kStatic, kMacHost)), 64));
  // A bad checksum.
  Bytes bad = icmp6(kHost6, solicited(kStatic), ns_msg(kStatic, kMacHost));
  bad[2] ^= 1;
  feed6(gmac, ip6(kHost6, solicited(kStatic), 58, bad));
  // An option of length 0 (RFC 4861 says: drop).
  Bytes zero_opt = ns_msg(kStatic, kMacHost);
  zero_opt[25] = 0;
  feed6(gmac, ip6(kHost6, solicited(kStatic), 58, icmp6(kHost6, solicited(kStatic), zero_opt)));
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(stack.stats().nd_answered, 0u);
  EXPECT_EQ(stack.stats().rx_bad_icmp, 1u);
  EXPECT_EQ(stack.stats().rx_bad_ip6, 2u);
}

TEST_F(Ipv6Test, EchoIsAnsweredFromTheAddressAsked) {
  Bytes data = pattern(56);
  feed6(kMacB, ip6(kHost6, kStatic, 58, icmp6(kHost6, kStatic, echo6(0x1234, 7, data)), 64));
  feed6(kMacB, ip6(kHostLL, ll, 58, icmp6(kHostLL, ll, echo6(0x1234, 8, data)), 64));
  auto out = take();
  ASSERT_EQ(out.size(), 2u);
  Bytes r1 = answer(out[0], kMacHost, kStatic, kHost6, 64);
  Bytes r2 = answer(out[1], kMacHost, ll, kHostLL, 64);
  for (const Bytes& r : {r1, r2}) {
    ASSERT_EQ(r.size(), 8u + data.size());
    EXPECT_EQ(r[0], 129);
    EXPECT_EQ(get16(r.data() + 4), 0x1234);
    EXPECT_EQ(Bytes(r.begin() + 8, r.end()), data);
  }
  EXPECT_EQ(get16(r1.data() + 6), 7);
  EXPECT_EQ(get16(r2.data() + 6), 8);
  EXPECT_EQ(stack.stats().icmp6_echo_answered, 2u);
  // All-nodes: answered from the address of the asker's scope.
  const uint8_t all_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
  feed6(all_mac, ip6(kHostLL, kAllNodes, 58, icmp6(kHostLL, kAllNodes, echo6(1, 1, data)), 1));
  out = take();
  ASSERT_EQ(out.size(), 1u);
  answer(out[0], kMacHost, ll, kHostLL, 64);
}

TEST_F(Ipv6Test, ForeignMalformedAndUnsupportedPacketsAreDropped) {
  A6 other = a6({0xfd, 0x00, 0x00, 0x99}, {0x07});
  Bytes e = echo6(1, 1, pattern(8));
  feed6(kMacB, ip6(kHost6, other, 58, icmp6(kHost6, other, e)));  // not our address
  EXPECT_EQ(stack.stats().rx_ip6_not_for_us, 1u);
  Bytes p = ip6(kHost6, kStatic, 58, icmp6(kHost6, kStatic, e));
  Bytes v4 = p;
  v4[0] = 0x40;  // not version 6
  feed6(kMacB, v4);
  Bytes longer = p;
  put16(longer, 4, static_cast<uint16_t>(e.size() + 1));  // payload length past the frame
  feed6(kMacB, longer);
  feed6(kMacB, Bytes(p.begin(), p.begin() + 39));  // shorter than a header
  EXPECT_EQ(stack.stats().rx_bad_ip6, 3u);
  // An atomic fragment followed by Hop-by-Hop (allowed only first): an
  // unknown next header, answered with a Parameter Problem as by Linux.
  Bytes frag = ip6(kHost6, kStatic, 44, Bytes(16, 0));
  feed6(kMacB, frag);
  EXPECT_EQ(stack.stats().rx_unknown_proto, 1u);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  Bytes m = answer(out[0], kMacHost, kStatic, kHost6, 64);
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], 1);
  EXPECT_EQ(get32(m.data() + 4), 40u);
  // A group we did not join: the Ethernet filter drops it.
  const uint8_t other_group[6] = {0x33, 0x33, 0xff, 0x12, 0x34, 0x56};
  feed6(other_group, p);
  EXPECT_EQ(stack.stats().rx_not_for_us, 1u);
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(stack.stats().icmp6_echo_answered, 0u);
}

TEST_F(Ipv6Test, UdpToAClosedPortIsPortUnreachable) {
  Bytes pkt = ip6(kHost6, kStatic, 17, udp6(kHost6, kStatic, 4000, 9, pattern(20)), 64);
  feed6(kMacB, pkt);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  Bytes m = answer(out[0], kMacHost, kStatic, kHost6, 64);
  ASSERT_EQ(m.size(), 8u + pkt.size());
  EXPECT_EQ(m[0], 1);
  EXPECT_EQ(m[1], 4);
  EXPECT_EQ(Bytes(m.begin() + 8, m.end()), pkt);
  EXPECT_EQ(stack.stats().udp_no_port, 1u);
}

TEST_F(Ipv6Test, TcpSynToAClosedPortGetsAResetOverIpv6) {
  SegSpec syn;
  syn.sport = 40000;
  syn.dport = 81;
  syn.seq = 77;
  feed6(kMacB, ip6(kHost6, kStatic, 6, tcp6(kHost6, kStatic, syn), 64));
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  const Bytes& f = out[0];
  ASSERT_EQ(f.size(), 14u + 40 + 20);
  EXPECT_EQ(memcmp(f.data(), kMacHost, 6), 0);
  EXPECT_EQ(get16(f.data() + 12), 0x86dd);
  const uint8_t* ip = f.data() + 14;
  EXPECT_EQ(ip[6], 6);
  EXPECT_EQ(memcmp(ip + 8, kStatic.data(), 16), 0);
  EXPECT_EQ(memcmp(ip + 24, kHost6.data(), 16), 0);
  using namespace libos::inet;
  EXPECT_EQ(csum_fold(csum_add(ip6_pseudo(ip + 8, ip + 24, 6, 20), ip + 40, 20)), 0);
  const uint8_t* t = ip + 40;
  EXPECT_EQ(get16(t), 81);
  EXPECT_EQ(get16(t + 2), 40000);
  EXPECT_EQ(t[13], kRst | kAck);
  EXPECT_EQ(get32(t + 8), 78u);
}

TEST_F(Ipv6Test, BadTransportChecksumsAreDropped) {
  Bytes good = udp6(kHost6, kStatic, 4000, 9, pattern(20));
  Bytes bad = good;
  bad[10] ^= 1;
  feed6(kMacB, ip6(kHost6, kStatic, 17, bad, 64));
  feed6(kMacB, ip6(kHost6, kStatic, 17, udp6(kHost6, kStatic, 4000, 9, pattern(20), 0), 64));  // none: IPv6 forbids it
  // Summed over IPv4's pseudo-header (the stand-ins) instead of IPv6's.
  SegSpec syn;
  Bytes t = tcp_segment(kIpHost, kIpB, syn);
  feed6(kMacB, ip6(kHost6, kStatic, 6, t, 64));
  EXPECT_EQ(stack.stats().rx_bad_udp, 2u);
  EXPECT_EQ(stack.stats().rx_bad_tcp, 1u);
  EXPECT_TRUE(take().empty());
  // A TCP header cut short, with a valid checksum.
  Bytes shortseg = tcp6(kHost6, kStatic, syn);
  shortseg.resize(12);
  using namespace libos::inet;
  shortseg[10] = shortseg[11] = 0;
  feed6(kMacB, ip6(kHost6, kStatic, 6, shortseg, 64));
  EXPECT_TRUE(take().empty());
}

TEST_F(Ipv6Test, AnUnknownNeighbourIsSolicitedAndThePacketHeld) {
  auto* sock = libos::inet::UdpSocket::create(stack);
  A6 peer = a6({0xfd, 0x00, 0x00, 0x99}, {0x07});
  uint32_t id = stack.ip6_peers()->standin_of(peer.data(), true);
  ASSERT_EQ(sock->sendto("hello", 5, true, id, 53), 5);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);  // the solicitation only
  uint8_t gmac[6];
  kGroupMac(solicited(peer), gmac);
  Bytes ns = answer(out[0], gmac, kStatic, solicited(peer), 255);
  ASSERT_EQ(ns.size(), 32u);
  EXPECT_EQ(ns[0], 135);
  EXPECT_EQ(memcmp(ns.data() + 8, peer.data(), 16), 0);
  EXPECT_EQ(memcmp(ns.data() + 26, kMacB, 6), 0);
  // No second solicitation within the second.
  ASSERT_EQ(sock->sendto("hello", 5, true, id, 53), 5);
  EXPECT_TRUE(take().empty());
  // The advertisement releases the held datagram to the MAC it names.
  Bytes na(24, 0);
  na[0] = 136;
  na[4] = 0x60;
  memcpy(na.data() + 8, peer.data(), 16);
  na.push_back(2);
  na.push_back(1);
  na.insert(na.end(), kMacHost, kMacHost + 6);
  feed6(kMacB, ip6(peer, kStatic, 58, icmp6(peer, kStatic, na)));
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(memcmp(out[0].data(), kMacHost, 6), 0);
  const uint8_t* ip = out[0].data() + 14;
  EXPECT_EQ(ip[6], 17);
  EXPECT_EQ(memcmp(ip + 24, peer.data(), 16), 0);
  EXPECT_EQ(Bytes(ip + 48, ip + 53), Bytes({'h', 'e', 'l', 'l', 'o'}));
  sock->close();
}

TEST_F(Ipv6Test, PortUnreachableReachesTheConnectedUdpSocket) {
  auto* sock = libos::inet::UdpSocket::create(stack);
  uint32_t id = stack.ip6_peers()->standin_of(kHost6.data(), true);
  ASSERT_EQ(sock->connect(id, 53), 0);
  ASSERT_EQ(sock->sendto("q", 1, false, 0, 0), 1);
  take();  // the solicitation; the advertisement releases the datagram
  Bytes na(24, 0);
  na[0] = 136;
  na[4] = 0x60;
  memcpy(na.data() + 8, kHost6.data(), 16);
  na.push_back(2);
  na.push_back(1);
  na.insert(na.end(), kMacHost, kMacHost + 6);
  feed6(kMacB, ip6(kHost6, kStatic, 58, icmp6(kHost6, kStatic, na)));
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0][14 + 6], 17);
  Bytes sent(out[0].begin() + 14, out[0].end());
  Bytes err(8, 0);
  err[0] = 1;
  err[1] = 4;
  err.insert(err.end(), sent.begin(), sent.end());
  feed6(kMacB, ip6(kHost6, kStatic, 58, icmp6(kHost6, kStatic, err), 64));
  EXPECT_EQ(sock->take_error(), ECONNREFUSED);
  sock->close();
}

TEST_F(Ipv6Test, DatagramToOurOwnAddressLoopsBack) {
  auto* rx = libos::inet::UdpSocket::create(stack);
  auto* tx = libos::inet::UdpSocket::create(stack);
  uint32_t ours = stack.ip6_peers()->standin_of(kStatic.data(), false);
  ASSERT_NE(ours, 0u);
  ASSERT_EQ(rx->bind(ours, 7000), 0);
  ASSERT_EQ(tx->sendto("self", 4, true, ours, 7000), 4);
  stack.run_timers();
  EXPECT_TRUE(take().empty());  // nothing on the wire
  char buf[16];
  size_t full = 0;
  uint32_t from = 0;
  uint16_t port = 0;
  ASSERT_EQ(rx->recvfrom(buf, sizeof(buf), false, &full, &from, &port), 4);
  EXPECT_EQ(memcmp(buf, "self", 4), 0);
  EXPECT_EQ(from, ours);
  EXPECT_EQ(port, tx->local_port());
  rx->close();
  tx->close();
}

TEST_F(Ipv6Test, StandInsOfEvictedPeersAreNotReused) {
  auto* peers = stack.ip6_peers();
  A6 first = a6({0xfd, 0x00, 0x00, 0x99}, {0x01, 0x00});
  uint32_t old = peers->standin_of(first.data(), true);
  ASSERT_NE(old, 0u);
  EXPECT_TRUE(libos::inet::Stack::is_v6_standin(old));
  EXPECT_FALSE(stack.routable(0xf0u | (0x1234u << 8)));  // never given out
  // kSlots - 2 peer slots: one more newer address evicts the least recently used.
  for (size_t i = 1; i <= libos::inet::Ip6Peers::kSlots - 2; ++i) {
    stack.set_now(stack.now() + 1);
    A6 a = a6({0xfd, 0x00, 0x00, 0x99}, {0x02, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
    ASSERT_NE(peers->standin_of(a.data(), true), 0u);
  }
  EXPECT_EQ(peers->find(old), nullptr);
  EXPECT_FALSE(stack.routable(old));
  uint32_t again = peers->standin_of(first.data(), true);
  EXPECT_NE(again, old);
  EXPECT_NE(again, 0u);
  // Our own addresses are never evicted.
  EXPECT_TRUE(stack.is_local(peers->standin_of(kStatic.data(), false)));
  EXPECT_TRUE(stack.is_local(peers->standin_of(ll.data(), false)));
}

TEST(Ipv6Off, WithoutIpv6FramesAreUnknown) {
  WireEnd dev;
  libos::inet::Stack stack(config_of(kMacB, kIpB), dev, test_random32);
  dev.sent.clear();
  Bytes e = echo6(1, 1, pattern(8));
  A6 ll{};
  ip6_link_local(kMacB, ll.data());
  Bytes f = eth(kMacB, kMacHost, 0x86dd, ip6(kHostLL, ll, 58, icmp6(kHostLL, ll, e)));
  stack.input(f.data(), f.size());
  EXPECT_EQ(stack.stats().rx_unknown_ethertype, 1u);
  EXPECT_TRUE(dev.sent.empty());
}

}  // namespace
}  // namespace shoal::test
