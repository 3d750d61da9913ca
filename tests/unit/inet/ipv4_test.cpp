// IPv4 receive: header validation, address filtering, options, and
// reassembly (in order, reversed, duplicates, overlaps, timeout, oversize,
// bounds), observed through a UDP socket and ICMP.
#include "inet/ipv4.hpp"
#include "inet/udp.hpp"
#include "stack_test_frames.hpp"

namespace shoal::test {
namespace {

using libos::inet::Reassembly;
using libos::inet::UdpSocket;

class Ipv4Test : public OneStack {
 protected:
  void SetUp() override {
    learn_host();
    sock = UdpSocket::create(stack);
    ASSERT_EQ(sock->bind(0, 5000), 0);
  }
  void TearDown() override { sock->close(); }

  // Fragments of one UDP datagram carrying `data`, cut at `chunk` bytes.
  std::vector<Bytes> fragments(const Bytes& data, size_t chunk, uint16_t id = 77) {
    Bytes l4 = udp(kIpHost, kIpB, 4000, 5000, data);
    std::vector<Bytes> out;
    for (size_t off = 0; off < l4.size(); off += chunk) {
      size_t n = std::min(chunk, l4.size() - off);
      IpOpts o;
      o.id = id;
      o.frag = static_cast<uint16_t>((off + n < l4.size() ? 0x2000 : 0) | off / 8);
      out.push_back(ipv4(kIpHost, kIpB, 17, Bytes(l4.begin() + off, l4.begin() + off + n), o));
    }
    return out;
  }
  Bytes received() {
    Bytes buf(70000);
    size_t full = 0;
    long n = sock->recvfrom(buf.data(), buf.size(), false, &full, nullptr, nullptr);
    if (n < 0) return {};
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

  UdpSocket* sock = nullptr;
};

TEST_F(Ipv4Test, ValidDatagramDelivered) {
  feed_ip(ipv4(kIpHost, kIpB, 17, udp(kIpHost, kIpB, 4000, 5000, pattern(50))));
  EXPECT_EQ(received(), pattern(50));
}

TEST_F(Ipv4Test, EthernetPaddingIsCutByTotalLength) {
  Bytes pkt = ipv4(kIpHost, kIpB, 17, udp(kIpHost, kIpB, 4000, 5000, pattern(4)));
  pkt.resize(pkt.size() + 14, 0xee);
  feed_ip(pkt);
  EXPECT_EQ(received(), pattern(4));
}

TEST_F(Ipv4Test, BadHeadersAreDropped) {
  Bytes good = ipv4(kIpHost, kIpB, 17, udp(kIpHost, kIpB, 4000, 5000, pattern(50)));
  Bytes bad_sum = good;
  bad_sum[10] ^= 1;
  feed_ip(bad_sum);
  EXPECT_EQ(stack.stats().rx_bad_ip_checksum, 1u);

  Bytes bad_version = good;
  bad_version[0] = 0x65;
  feed_ip(bad_version);
  Bytes short_ihl = good;
  short_ihl[0] = 0x44;
  feed_ip(short_ihl);
  Bytes too_long = good;
  put16(too_long, 2, static_cast<uint16_t>(good.size() + 1));
  feed_ip(too_long);
  Bytes under_header = good;
  put16(under_header, 2, 19);
  feed_ip(under_header);
  feed_ip(Bytes(good.begin(), good.begin() + 19));
  Bytes big_ihl = good;
  big_ihl[0] = 0x4f;  // 60-byte header but checksum still of 20: bad either way
  feed_ip(Bytes(big_ihl.begin(), big_ihl.begin() + 40));
  EXPECT_EQ(stack.stats().rx_bad_ip, 6u);
  EXPECT_TRUE(received().empty());
  EXPECT_TRUE(take().empty());
}

TEST_F(Ipv4Test, OnlyOurAddressOrBroadcastAccepted) {
  feed_ip(ipv4(kIpHost, ip4(10, 0, 0, 3), 17, udp(kIpHost, ip4(10, 0, 0, 3), 4000, 5000, pattern(8))));
  EXPECT_EQ(stack.stats().rx_ip_not_for_us, 1u);
  EXPECT_TRUE(received().empty());
  uint32_t bcast = ip4(10, 0, 0, 255);
  feed_ip(ipv4(kIpHost, bcast, 17, udp(kIpHost, bcast, 4000, 5000, pattern(8))));
  EXPECT_EQ(received(), pattern(8));
  // Martian sources.
  feed_ip(ipv4(kIpB, kIpB, 17, udp(kIpB, kIpB, 4000, 5000, pattern(8))));
  feed_ip(ipv4(ip4(224, 0, 0, 1), kIpB, 17, udp(ip4(224, 0, 0, 1), kIpB, 4000, 5000, pattern(8))));
  EXPECT_EQ(stack.stats().rx_bad_ip, 2u);
}

TEST_F(Ipv4Test, OptionsAreSkipped) {
  IpOpts o;
  o.options = 8;
  feed_ip(ipv4(kIpHost, kIpB, 17, udp(kIpHost, kIpB, 4000, 5000, pattern(30)), o));
  EXPECT_EQ(received(), pattern(30));
}

TEST_F(Ipv4Test, UnknownProtocolGetsProtocolUnreachable) {
  feed_ip(ipv4(kIpHost, kIpB, 99, pattern(20)));
  EXPECT_EQ(stack.stats().rx_unknown_proto, 1u);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* ip = out[0].data() + 14;
  EXPECT_EQ(ip[9], 1);                 // ICMP
  EXPECT_EQ(ip[20], 3);                // destination unreachable
  EXPECT_EQ(ip[21], 2);                // protocol
  EXPECT_EQ(ip[20 + 8 + 9], 99);       // the quoted header
  EXPECT_EQ(libos::inet::checksum(ip + 20, out[0].size() - 34), 0);
}

TEST_F(Ipv4Test, ReassemblyInOrder) {
  Bytes data = pattern(4000);
  for (auto& f : fragments(data, 1480)) feed_ip(f);
  EXPECT_EQ(received(), data);
  EXPECT_EQ(stack.stats().frags_received, 3u);
  EXPECT_EQ(stack.stats().frags_reassembled, 1u);
  EXPECT_EQ(stack.ipv4().reassembly().in_progress(), 0u);
  EXPECT_EQ(stack.ipv4().reassembly().bytes(), 0u);
}

TEST_F(Ipv4Test, ReassemblyReversedAndShuffledWithDuplicates) {
  Bytes data = pattern(3000, 3);
  auto frags = fragments(data, 504);
  std::vector<Bytes> order(frags.rbegin(), frags.rend());
  order.insert(order.begin() + 2, frags[1]);  // a duplicate
  for (auto& f : order) feed_ip(f);
  EXPECT_EQ(received(), data);
  EXPECT_EQ(stack.stats().frags_reassembled, 1u);
}

TEST_F(Ipv4Test, OverlapDropsTheDatagram) {
  Bytes data = pattern(2000);
  auto frags = fragments(data, 1000);
  // A rogue fragment at offset 504 overlapping the first one.
  Bytes l4 = udp(kIpHost, kIpB, 4000, 5000, data);
  IpOpts o;
  o.id = 77;
  o.frag = 0x2000 | 504 / 8;
  feed_ip(frags[0]);
  feed_ip(ipv4(kIpHost, kIpB, 17, Bytes(l4.begin() + 504, l4.begin() + 1504), o));
  for (size_t i = 1; i < frags.size(); ++i) feed_ip(frags[i]);
  EXPECT_TRUE(received().empty());
  EXPECT_GE(stack.stats().frags_dropped, 2u);
  EXPECT_EQ(stack.stats().frags_reassembled, 0u);
  // The rest no longer completes anything; only the timeout clears it.
  advance(Reassembly::kTimeout);
  EXPECT_EQ(stack.ipv4().reassembly().in_progress(), 0u);
  EXPECT_EQ(stack.ipv4().reassembly().bytes(), 0u);
}

TEST_F(Ipv4Test, IncompleteDatagramTimesOut) {
  auto frags = fragments(pattern(3000), 1480);
  feed_ip(frags[0]);
  feed_ip(frags[2]);
  EXPECT_EQ(stack.ipv4().reassembly().in_progress(), 1u);
  EXPECT_EQ(stack.next_deadline(), now + Reassembly::kTimeout);
  advance(Reassembly::kTimeout - 1);
  EXPECT_EQ(stack.ipv4().reassembly().in_progress(), 1u);
  advance(1);
  EXPECT_EQ(stack.ipv4().reassembly().in_progress(), 0u);
  EXPECT_EQ(stack.stats().frags_dropped, 2u);
  feed_ip(frags[1]);  // the late middle alone completes nothing
  EXPECT_TRUE(received().empty());
}

TEST_F(Ipv4Test, OversizeDatagramDropped) {
  IpOpts o;
  o.id = 9;
  o.frag = 0x2000 | 0;
  feed_ip(ipv4(kIpHost, kIpB, 17, pattern(1480), o));
  o.frag = 65528 / 8;  // last fragment ending past 65535
  feed_ip(ipv4(kIpHost, kIpB, 17, pattern(16), o));
  EXPECT_EQ(stack.ipv4().reassembly().in_progress(), 0u);
  EXPECT_EQ(stack.stats().frags_reassembled, 0u);
  EXPECT_GE(stack.stats().frags_dropped, 2u);
}

TEST_F(Ipv4Test, BadFragmentLengthsDropped) {
  IpOpts o;
  o.frag = 0x2000;  // more fragments, but 13 bytes is not a multiple of 8
  feed_ip(ipv4(kIpHost, kIpB, 17, pattern(13), o));
  o.id = 2;
  o.frag = 0x2000 | 10;  // an empty fragment
  feed_ip(ipv4(kIpHost, kIpB, 17, Bytes(), o));
  EXPECT_EQ(stack.stats().frags_dropped, 2u);
  EXPECT_EQ(stack.ipv4().reassembly().in_progress(), 0u);
}

TEST_F(Ipv4Test, LastFragmentsThatDisagreeDropTheDatagram) {
  IpOpts o;
  o.id = 5;
  o.frag = 100;  // last, ends at 808
  feed_ip(ipv4(kIpHost, kIpB, 17, pattern(8), o));
  o.frag = 200;  // another "last" ending elsewhere
  feed_ip(ipv4(kIpHost, kIpB, 17, pattern(8), o));
  EXPECT_EQ(stack.ipv4().reassembly().in_progress(), 0u);
}

TEST_F(Ipv4Test, ReassemblyIsBounded) {
  // Many datagrams, each with one fragment of a 64 KiB whole, never finished.
  for (uint16_t id = 0; id < 100; ++id) {
    IpOpts o;
    o.id = id;
    o.frag = 0x2000;
    feed_ip(ipv4(kIpHost, kIpB, 17, pattern(1480), o));
    ASSERT_LE(stack.ipv4().reassembly().in_progress(), Reassembly::kDatagrams);
    ASSERT_LE(stack.ipv4().reassembly().bytes(), Reassembly::kBytes);
  }
  // Tiny fragments of one datagram: the per-datagram count bound.
  for (uint16_t i = 0; i < 1000; ++i) {
    IpOpts o;
    o.id = 5000;
    o.frag = static_cast<uint16_t>(0x2000 | (i * 2));
    feed_ip(ipv4(kIpHost, kIpB, 17, pattern(8), o));
    ASSERT_LE(stack.ipv4().reassembly().bytes(), Reassembly::kBytes);
  }
  // Still works afterwards.
  Bytes data = pattern(2500);
  for (auto& f : fragments(data, 1480, 9999)) feed_ip(f);
  EXPECT_EQ(received(), data);
}

}  // namespace
}  // namespace shoal::test
