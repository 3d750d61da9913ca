// ICMP: echo (plain, with IP options, large and fragmented both ways),
// checksum validation, broadcast echo ignored, rate limiting of errors, no
// errors about errors, and received errors reaching UDP.
#include "inet/icmp.hpp"
#include "inet/udp.hpp"
#include "stack_test_frames.hpp"

namespace shoal::test {
namespace {

using libos::inet::Icmp;
using libos::inet::UdpSocket;

class IcmpTest : public OneStack {
 protected:
  void SetUp() override { learn_host(); }
};

TEST_F(IcmpTest, EchoRequestAnswered) {
  Bytes data = pattern(56);
  feed_ip(ipv4(kIpHost, kIpB, 1, icmp_echo(0x1234, 1, data)));
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  const Bytes& f = out[0];
  EXPECT_EQ(0, memcmp(f.data(), kMacHost, 6));
  const uint8_t* ip = f.data() + 14;
  EXPECT_EQ(libos::inet::checksum(ip, 20), 0);
  EXPECT_EQ(get_addr(ip + 12), kIpB);
  EXPECT_EQ(get_addr(ip + 16), kIpHost);
  EXPECT_EQ(ip[8], 64);
  const uint8_t* m = ip + 20;
  size_t mlen = get16(ip + 2) - 20u;
  EXPECT_EQ(mlen, 64u);
  EXPECT_EQ(m[0], 0);  // echo reply
  EXPECT_EQ(get16(m + 4), 0x1234);
  EXPECT_EQ(get16(m + 6), 1);
  EXPECT_EQ(0, memcmp(m + 8, data.data(), data.size()));
  EXPECT_EQ(libos::inet::checksum(m, mlen), 0);
  EXPECT_EQ(stack.stats().icmp_echo_answered, 1u);
}

TEST_F(IcmpTest, BadChecksumAndShortMessagesDropped) {
  Bytes echo = icmp_echo(1, 1, pattern(10));
  echo[9] ^= 0x55;
  feed_ip(ipv4(kIpHost, kIpB, 1, echo));
  feed_ip(ipv4(kIpHost, kIpB, 1, Bytes{8, 0, 0xf7}));
  EXPECT_EQ(stack.stats().rx_bad_icmp, 2u);
  EXPECT_TRUE(take().empty());
}

TEST_F(IcmpTest, BroadcastEchoIgnored) {
  uint32_t bcast = ip4(10, 0, 0, 255);
  feed(eth(kBcast, kMacHost, 0x0800, ipv4(kIpHost, bcast, 1, icmp_echo(1, 1, pattern(8)))));
  EXPECT_TRUE(take().empty());
}

TEST_F(IcmpTest, FragmentedEchoAnsweredWithFragments) {
  // ping -s 4000: 4008 bytes of ICMP in three fragments.
  Bytes m = icmp_echo(7, 3, pattern(4000));
  for (size_t off = 0; off < m.size(); off += 1480) {
    size_t n = std::min<size_t>(1480, m.size() - off);
    IpOpts o;
    o.id = 4242;
    o.frag = static_cast<uint16_t>((off + n < m.size() ? 0x2000 : 0) | off / 8);
    feed_ip(ipv4(kIpHost, kIpB, 1, Bytes(m.begin() + off, m.begin() + off + n), o));
  }
  auto out = take();
  ASSERT_EQ(out.size(), 3u);
  Bytes reply(m.size());
  uint16_t id = get16(out[0].data() + 14 + 4);
  size_t got = 0;
  for (auto& f : out) {
    const uint8_t* ip = f.data() + 14;
    ASSERT_LE(f.size(), 1514u);
    EXPECT_EQ(libos::inet::checksum(ip, 20), 0);
    EXPECT_EQ(get16(ip + 4), id);
    uint16_t field = get16(ip + 6);
    size_t off = (field & 0x1fff) * 8u;
    size_t n = get16(ip + 2) - 20u;
    ASSERT_LE(off + n, reply.size());
    memcpy(reply.data() + off, ip + 20, n);
    got += n;
    EXPECT_EQ((field & 0x2000) != 0, off + n < m.size());
  }
  EXPECT_EQ(got, m.size());
  EXPECT_EQ(reply[0], 0);
  EXPECT_EQ(0, memcmp(reply.data() + 8, m.data() + 8, m.size() - 8));
  EXPECT_EQ(libos::inet::checksum(reply.data(), reply.size()), 0);
}

TEST_F(IcmpTest, ErrorsAreRateLimited) {
  for (int i = 0; i < 200; ++i) feed_ip(ipv4(kIpHost, kIpB, 99, pattern(8)));
  EXPECT_EQ(take().size(), Icmp::kBurst);
  advance(Icmp::kInterval * 5);
  for (int i = 0; i < 200; ++i) feed_ip(ipv4(kIpHost, kIpB, 99, pattern(8)));
  EXPECT_EQ(take().size(), 5u);
}

TEST_F(IcmpTest, NoErrorAboutAnErrorOrALaterFragment) {
  // An ICMP unreachable to a closed UDP port would be answered, but an
  // unknown ICMP error type quoting garbage never is.
  Bytes err(8 + 28);
  err[0] = 3;
  err[1] = 3;
  uint16_t sum = libos::inet::checksum(err.data(), err.size());
  memcpy(err.data() + 2, &sum, 2);
  feed_ip(ipv4(kIpHost, kIpB, 1, err));
  IpOpts o;
  o.frag = 0x2000 | 100;  // a non-first fragment of an unknown protocol
  feed_ip(ipv4(kIpHost, kIpB, 99, pattern(8), o));
  EXPECT_TRUE(take().empty());
}

TEST_F(IcmpTest, PortUnreachableReachesConnectedUdpSocket) {
  UdpSocket* s = UdpSocket::create(stack);
  ASSERT_EQ(s->connect(kIpHost, 53), 0);
  uint16_t port = s->local_port();
  Bytes data = pattern(12);
  ASSERT_EQ(s->sendto(data.data(), data.size(), false, 0, 0), 12);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  // The host answers with the quoted header + 8 bytes of what we sent.
  Bytes quoted(out[0].begin() + 14, out[0].begin() + 14 + 28);
  Bytes err(8);
  err[0] = 3;
  err[1] = 3;
  err.insert(err.end(), quoted.begin(), quoted.end());
  uint16_t sum = libos::inet::checksum(err.data(), err.size());
  memcpy(err.data() + 2, &sum, 2);
  EXPECT_EQ(s->poll() & libos::inet::kPollErr, 0u);
  feed_ip(ipv4(kIpHost, kIpB, 1, err));
  EXPECT_NE(s->poll() & libos::inet::kPollErr, 0u);
  EXPECT_EQ(s->sendto(data.data(), data.size(), false, 0, 0), -ECONNREFUSED);
  EXPECT_EQ(s->sendto(data.data(), data.size(), false, 0, 0), 12);  // reported once
  EXPECT_EQ(get16(quoted.data() + 20), port);
  s->close();
}

}  // namespace
}  // namespace shoal::test
