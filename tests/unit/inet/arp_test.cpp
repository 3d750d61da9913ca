// ARP (RFC 826): answering, learning, resolution with queued packets, retry
// and failure, cache lifetime and refresh, bounds.
#include "inet/arp.hpp"
#include "inet/udp.hpp"
#include "stack_test_frames.hpp"

namespace shoal::test {
namespace {

using libos::inet::Arp;
using libos::inet::UdpSocket;

using ArpTest = OneStack;

TEST_F(ArpTest, AnswersRequestForOurAddressAndLearnsSender) {
  feed(eth(kBcast, kMacHost, 0x0806, arp_packet(1, kMacHost, kIpHost, kBcast, kIpB)));
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  const Bytes& f = out[0];
  ASSERT_GE(f.size(), 42u);
  EXPECT_EQ(0, memcmp(f.data(), kMacHost, 6));      // unicast back to the asker
  EXPECT_EQ(0, memcmp(f.data() + 6, kMacB, 6));
  EXPECT_EQ(get16(f.data() + 12), 0x0806);
  EXPECT_EQ(get16(f.data() + 20), 2);                 // reply
  EXPECT_EQ(0, memcmp(f.data() + 22, kMacB, 6));      // sender hardware: us
  EXPECT_EQ(get_addr(f.data() + 28), kIpB);
  EXPECT_EQ(0, memcmp(f.data() + 32, kMacHost, 6));   // target: the asker
  EXPECT_EQ(get_addr(f.data() + 38), kIpHost);
  EXPECT_EQ(stack.stats().arp_requests_answered, 1u);
  EXPECT_EQ(stack.arp().state_of(kIpHost), Arp::State::reachable);
}

TEST_F(ArpTest, IgnoresRequestsForOtherAddressesWithoutLearning) {
  feed(eth(kBcast, kMacHost, 0x0806, arp_packet(1, kMacHost, kIpHost, kBcast, ip4(10, 0, 0, 7))));
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(stack.arp().state_of(kIpHost), Arp::State::free);
}

TEST_F(ArpTest, MalformedPacketsAreCountedAndDropped) {
  Bytes bad_htype = arp_packet(1, kMacHost, kIpHost, kBcast, kIpB);
  bad_htype[1] = 6;
  feed(eth(kBcast, kMacHost, 0x0806, bad_htype));
  Bytes short_pkt = arp_packet(1, kMacHost, kIpHost, kBcast, kIpB);
  short_pkt.resize(27);
  feed(eth(kBcast, kMacHost, 0x0806, short_pkt));
  Bytes bad_op = arp_packet(7, kMacHost, kIpHost, kBcast, kIpB);
  feed(eth(kBcast, kMacHost, 0x0806, bad_op));
  feed(eth(kBcast, kMacHost, 0x0806, arp_packet(1, kBcast, kIpHost, kBcast, kIpB)));  // group sender
  // Someone claiming our own address is never learned.
  feed(eth(kBcast, kMacHost, 0x0806, arp_packet(2, kMacHost, kIpB, kMacB, kIpB)));
  EXPECT_EQ(stack.stats().rx_bad_arp, 5u);
  EXPECT_TRUE(take().empty());
}

TEST_F(ArpTest, UnresolvedNextHopQueuesThenFlushesOnReply) {
  UdpSocket* s = UdpSocket::create(stack);
  ASSERT_NE(s, nullptr);
  Bytes data = pattern(100);
  ASSERT_EQ(s->sendto(data.data(), data.size(), true, kIpHost, 7000), 100);
  ASSERT_EQ(s->sendto(data.data(), data.size(), true, kIpHost, 7001), 100);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);  // one request, the datagrams wait
  EXPECT_EQ(get16(out[0].data() + 12), 0x0806);
  EXPECT_EQ(0, memcmp(out[0].data(), kBcast, 6));
  EXPECT_EQ(get_addr(out[0].data() + 38), kIpHost);
  EXPECT_EQ(stack.arp().state_of(kIpHost), Arp::State::incomplete);
  feed(eth(kMacB, kMacHost, 0x0806, arp_packet(2, kMacHost, kIpHost, kMacB, kIpB)));
  out = take();
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(0, memcmp(out[i].data(), kMacHost, 6));
    EXPECT_EQ(get16(out[i].data() + 12), 0x0800);
    EXPECT_EQ(get16(out[i].data() + 14 + 22), 7000 + i);  // in order
  }
  s->close();
}

TEST_F(ArpTest, ThreeRequestsOneSecondApartThenFailure) {
  UdpSocket* s = UdpSocket::create(stack);
  Bytes data = pattern(10);
  ASSERT_EQ(s->sendto(data.data(), data.size(), true, kIpHost, 9), 10);
  EXPECT_EQ(take().size(), 1u);
  EXPECT_EQ(stack.next_deadline(), now + Arp::kRetry);
  advance(Arp::kRetry);
  EXPECT_EQ(take().size(), 1u);
  advance(Arp::kRetry);
  EXPECT_EQ(take().size(), 1u);
  EXPECT_EQ(stack.arp().state_of(kIpHost), Arp::State::incomplete);
  advance(Arp::kRetry);
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(stack.arp().state_of(kIpHost), Arp::State::free);
  EXPECT_EQ(stack.stats().arp_queue_drops, 1u);
  s->close();
}

TEST_F(ArpTest, QueuePerNextHopIsBounded) {
  UdpSocket* s = UdpSocket::create(stack);
  Bytes data = pattern(200);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(s->sendto(data.data(), data.size(), true, kIpHost, 9), 200);
  EXPECT_EQ(stack.stats().arp_queue_drops, 100u - Arp::kQueuePackets);
  feed(eth(kMacB, kMacHost, 0x0806, arp_packet(2, kMacHost, kIpHost, kMacB, kIpB)));
  EXPECT_EQ(take().size(), 1u + Arp::kQueuePackets);  // the request, then the queue
  s->close();
}

TEST_F(ArpTest, EntryExpiresUnusedAndIsRefreshedWhenInUse) {
  learn_host();
  EXPECT_EQ(stack.arp().state_of(kIpHost), Arp::State::reachable);
  advance(Arp::kLifetime);
  EXPECT_EQ(stack.arp().state_of(kIpHost), Arp::State::free);
  EXPECT_TRUE(take().empty());  // unused: no refresh traffic

  learn_host();
  UdpSocket* s = UdpSocket::create(stack);
  Bytes data = pattern(10);
  advance(Arp::kLifetime - Arp::kRefreshLead + 1);
  ASSERT_EQ(s->sendto(data.data(), data.size(), true, kIpHost, 9), 10);
  auto out = take();
  ASSERT_EQ(out.size(), 2u);  // a refresh request and the datagram, sent at once
  EXPECT_EQ(get16(out[0].data() + 12), 0x0806);
  EXPECT_EQ(get16(out[1].data() + 12), 0x0800);
  feed(eth(kMacB, kMacHost, 0x0806, arp_packet(2, kMacHost, kIpHost, kMacB, kIpB)));
  advance(Arp::kRefreshLead + 1);
  EXPECT_EQ(stack.arp().state_of(kIpHost), Arp::State::reachable);  // confirmed again
  s->close();
}

TEST_F(ArpTest, CacheIsBounded) {
  for (uint32_t i = 0; i < 3 * Arp::kEntries; ++i) {
    uint8_t mac[6] = {0x02, 1, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    uint32_t ip = ip4(10, 0, static_cast<uint8_t>(1 + i / 200), static_cast<uint8_t>(1 + i % 200));
    feed(eth(kBcast, mac, 0x0806, arp_packet(1, mac, ip, kBcast, kIpB)));
  }
  size_t known = 0;
  for (uint32_t i = 0; i < 3 * Arp::kEntries; ++i) {
    uint32_t ip = ip4(10, 0, static_cast<uint8_t>(1 + i / 200), static_cast<uint8_t>(1 + i % 200));
    known += stack.arp().state_of(ip) != Arp::State::free;
  }
  EXPECT_EQ(known, Arp::kEntries);
}

TEST_F(ArpTest, GratuitousArpAtStart) {
  WireEnd d;
  libos::inet::Stack s(config_of(kMacA, kIpA), d, test_random32);
  ASSERT_EQ(d.sent.size(), 1u);
  const Bytes& f = d.sent.front();
  EXPECT_EQ(0, memcmp(f.data(), kBcast, 6));
  EXPECT_EQ(get_addr(f.data() + 28), kIpA);  // sender and target: our address
  EXPECT_EQ(get_addr(f.data() + 38), kIpA);
}

}  // namespace
}  // namespace shoal::test
