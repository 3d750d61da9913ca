// Socket demultiplexing keys for IPv6 peers (issue 11 point 6): the TCP and
// UDP tables key connections by 32-bit stand-ins (inet/ipv6_peers.hpp), so
// this checks that a stand-in names one full 128-bit address: peers that
// differ only in their high bits, or whose hashes collide in the lookup
// hint, are distinct connections and datagram sources; and a stand-in a
// connection holds is never evicted and given to another address.
#include <gtest/gtest.h>

#include "inet/ipv6_peers.hpp"
#include "inet/udp.hpp"
#include "ipv6_test_util.hpp"

namespace shoal::test {
namespace {

using libos::inet::Ip6Peers;
using libos::inet::TcpSocket;
using libos::inet::UdpSocket;

// Same low 112 bits; only the first 16 differ (one on-link, one off-link:
// its packets teach the stack the MAC it is reached through).
const A6 kLow = a6({0xfd, 0x00, 0x00, 0x99}, {0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x05});
const A6 kHigh = a6({0x3d, 0x00, 0x00, 0x99}, {0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x05});

// The lookup hint's hash (ipv6_peers.cpp): FNV-1a folded to 10 bits.
size_t hint_of(const A6& a) {
  uint32_t h = 2166136261u;
  for (uint8_t b : a) h = (h ^ b) * 16777619u;
  return (h ^ h >> 16) & (Ip6Peers::kSlots - 1);
}

// An on-link address other than `a` whose hint hash is the same.
A6 colliding_with(const A6& a) {
  for (uint32_t i = 1;; ++i) {
    A6 b = a;
    b[13] = static_cast<uint8_t>(i >> 16);
    b[14] = static_cast<uint8_t>(i >> 8);
    b[15] = static_cast<uint8_t>(i);
    if (b != a && hint_of(b) == hint_of(a)) return b;
  }
}

class Ipv6Demux : public Ipv6Test {
 protected:
  // The frames sent to peer, by destination address.
  std::vector<Bytes> sent_to(const std::vector<Bytes>& frames, const A6& peer) {
    std::vector<Bytes> out;
    for (const Bytes& f : frames)
      if (f.size() >= 54 && get16(f.data() + 12) == 0x86dd && memcmp(f.data() + 14 + 24, peer.data(), 16) == 0)
        out.push_back(f);
    return out;
  }
  // Opens a connection from peer:40000 to our port 80 by hand; returns the
  // accepted socket; *snd_nxt: our next sequence number.
  TcpSocket* handshake(TcpSocket* listener, const A6& peer, uint32_t isn, uint32_t* snd_nxt = nullptr) {
    SegSpec syn;
    syn.seq = isn;
    feed6(kMacB, ip6(peer, kStatic, 6, tcp6(peer, kStatic, syn), 64));
    auto out = sent_to(take(), peer);
    EXPECT_EQ(out.size(), 1u);
    if (out.size() != 1) return nullptr;
    const uint8_t* t = out[0].data() + 54;
    EXPECT_EQ(t[13], kSyn | kAck);
    EXPECT_EQ(get32(t + 8), isn + 1);  // the SYN-ACK answers this peer's SYN
    SegSpec ack;
    ack.flags = kAck;
    ack.seq = isn + 1;
    ack.ack = get32(t + 4) + 1;
    if (snd_nxt != nullptr) *snd_nxt = ack.ack;
    feed6(kMacB, ip6(peer, kStatic, 6, tcp6(peer, kStatic, ack), 64));
    long err = 0;
    return listener->accept(&err);
  }
  void send_data(const A6& peer, uint32_t seq, uint32_t ack, const char* text) {
    SegSpec d;
    d.flags = kAck | kPsh;
    d.seq = seq;
    d.ack = ack;
    d.data = Bytes(text, text + strlen(text));
    feed6(kMacB, ip6(peer, kStatic, 6, tcp6(peer, kStatic, d), 64));
  }
  const uint8_t* addr_of(uint32_t standin) {
    const Ip6Peers::Peer* p = stack.ip6_peers()->find(standin);
    return p != nullptr ? p->addr : kUnspec.data();
  }
};

TEST_F(Ipv6Demux, TcpPeersDifferingOnlyInTheHighBitsAreTwoConnections) {
  A6 twin = colliding_with(kLow);
  ASSERT_EQ(hint_of(twin), hint_of(kLow));
  TcpSocket* listener = TcpSocket::create(stack);
  ASSERT_EQ(listener->bind(0, 80), 0);
  ASSERT_EQ(listener->listen(16), 0);
  // Three peers, the same source port, different initial sequence numbers.
  const A6* peers[3] = {&kLow, &kHigh, &twin};
  TcpSocket* conns[3] = {};
  uint32_t ours[3] = {};
  for (int i = 0; i < 3; ++i) {
    conns[i] = handshake(listener, *peers[i], 1000u * (i + 1), &ours[i]);
    ASSERT_NE(conns[i], nullptr) << i;
    EXPECT_EQ(memcmp(addr_of(conns[i]->peer_ip()), peers[i]->data(), 16), 0) << i;
  }
  EXPECT_NE(conns[0]->peer_ip(), conns[1]->peer_ip());
  EXPECT_NE(conns[0]->peer_ip(), conns[2]->peer_ip());
  // Each peer's data reaches its own connection, in reverse order.
  const char* text[3] = {"low", "high", "twin"};
  for (int i = 2; i >= 0; --i) send_data(*peers[i], 1000u * (i + 1) + 1, ours[i], text[i]);
  for (int i = 0; i < 3; ++i) {
    char buf[16] = {};
    ASSERT_EQ(conns[i]->recv(buf, sizeof(buf), false), static_cast<long>(strlen(text[i]))) << i;
    EXPECT_STREQ(buf, text[i]);
  }
  take();
  // And each answer goes to its own address.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(conns[i]->send(text[i], strlen(text[i]), false), static_cast<long>(strlen(text[i])));
    auto out = sent_to(take(), *peers[i]);
    ASSERT_EQ(out.size(), 1u) << i;
    EXPECT_EQ(Bytes(out[0].begin() + 54 + 20, out[0].end()), Bytes(text[i], text[i] + strlen(text[i])));
  }
  for (TcpSocket* c : conns) c->close();
  listener->close();
}

TEST_F(Ipv6Demux, UdpSourcesDifferingOnlyInTheHighBitsStayApart) {
  UdpSocket* any = UdpSocket::create(stack);
  ASSERT_EQ(any->bind(0, 9), 0);
  // A socket connected to kLow takes only kLow's datagrams on its port.
  UdpSocket* conn = UdpSocket::create(stack);
  ASSERT_EQ(conn->bind(0, 10), 0);
  ASSERT_EQ(conn->connect(stack.ip6_peers()->standin_of(kLow.data(), true), 4000), 0);
  feed6(kMacB, ip6(kHigh, kStatic, 17, udp6(kHigh, kStatic, 4000, 10, pattern(4)), 64));
  char buf[16];
  size_t full = 0;
  uint32_t from = 0;
  uint16_t port = 0;
  EXPECT_EQ(conn->recvfrom(buf, sizeof(buf), false, &full, &from, &port), -EAGAIN);
  feed6(kMacB, ip6(kLow, kStatic, 17, udp6(kLow, kStatic, 4000, 10, pattern(5)), 64));
  ASSERT_EQ(conn->recvfrom(buf, sizeof(buf), false, &full, &from, &port), 5);
  EXPECT_EQ(memcmp(addr_of(from), kLow.data(), 16), 0);
  // recvfrom on the unconnected socket names each sender by its own address.
  feed6(kMacB, ip6(kHigh, kStatic, 17, udp6(kHigh, kStatic, 4000, 9, pattern(6)), 64));
  feed6(kMacB, ip6(kLow, kStatic, 17, udp6(kLow, kStatic, 4000, 9, pattern(7)), 64));
  ASSERT_EQ(any->recvfrom(buf, sizeof(buf), false, &full, &from, &port), 6);
  uint32_t high_id = from;
  EXPECT_EQ(memcmp(addr_of(from), kHigh.data(), 16), 0);
  ASSERT_EQ(any->recvfrom(buf, sizeof(buf), false, &full, &from, &port), 7);
  EXPECT_EQ(memcmp(addr_of(from), kLow.data(), 16), 0);
  EXPECT_NE(from, high_id);
  any->close();
  conn->close();
}

TEST_F(Ipv6Demux, AStandInHeldByASocketIsNeverEvictedNorReused) {
  auto* peers = stack.ip6_peers();
  UdpSocket* conn = UdpSocket::create(stack);
  uint32_t held = peers->standin_of(kLow.data(), true);
  ASSERT_EQ(conn->connect(held, 53), 0);
  TcpSocket* listener = TcpSocket::create(stack);
  ASSERT_EQ(listener->bind(0, 80), 0);
  ASSERT_EQ(listener->listen(16), 0);
  TcpSocket* tcp = handshake(listener, kHigh, 5000);
  ASSERT_NE(tcp, nullptr);
  uint32_t tcp_id = tcp->peer_ip();
  // Far more new peers than slots, each the most recent: the LRU victims
  // are every other peer, never the two held.
  for (size_t i = 1; i <= 3 * Ip6Peers::kSlots; ++i) {
    stack.set_now(stack.now() + 1);
    A6 a = a6({0xfd, 0x00, 0x00, 0x99}, {0x02, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
    ASSERT_NE(peers->standin_of(a.data(), true), 0u);
  }
  EXPECT_EQ(peers->standin_of(kLow.data(), false), held);
  EXPECT_EQ(peers->standin_of(kHigh.data(), false), tcp_id);
  EXPECT_EQ(memcmp(addr_of(held), kLow.data(), 16), 0);
  EXPECT_EQ(memcmp(addr_of(tcp_id), kHigh.data(), 16), 0);
  // Released (socket closed, connection gone), they age out like any other.
  conn->close();
  tcp->set_linger(true, 0);  // closed with a RST: the connection is freed at once
  tcp->close();
  listener->close();
  for (size_t i = 1; i <= Ip6Peers::kSlots; ++i) {
    stack.set_now(stack.now() + 1);
    A6 a = a6({0xfd, 0x00, 0x00, 0x98}, {0x03, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
    ASSERT_NE(peers->standin_of(a.data(), true), 0u);
  }
  EXPECT_EQ(peers->find(held), nullptr);
  EXPECT_EQ(peers->find(tcp_id), nullptr);
}

// Multicast by destination: a group's datagrams are taken only while
// joined (the MAC filter and the destination check), then by every socket
// on the port, as Linux delivers them.
TEST_F(Ipv6Demux, DatagramsToAJoinedGroupReachEverySocketOnThePort) {
  const A6 group = a6({0xff, 0x12}, {0x12, 0x34});
  const uint8_t group_mac[6] = {0x33, 0x33, 0x00, 0x00, 0x12, 0x34};
  UdpSocket* s1 = UdpSocket::create(stack);
  UdpSocket* s2 = UdpSocket::create(stack);
  s1->set_reuseaddr(true);
  s2->set_reuseaddr(true);
  ASSERT_EQ(s1->bind(0, 9000), 0);
  ASSERT_EQ(s2->bind(0, 9000), 0);
  auto send = [&] { feed6(group_mac, ip6(kHost6, group, 17, udp6(kHost6, group, 4000, 9000, pattern(12)), 64)); };
  char buf[32];
  size_t full = 0;
  uint32_t from = 0;
  uint16_t port = 0;
  send();
  EXPECT_EQ(s1->recvfrom(buf, sizeof(buf), false, &full, &from, &port), -EAGAIN);
  EXPECT_EQ(stack.stats().rx_not_for_us, 1u);  // the MAC filter
  ASSERT_TRUE(stack.ip6_peers()->join(group.data()));
  send();
  ASSERT_EQ(s1->recvfrom(buf, sizeof(buf), false, &full, &from, &port), 12);
  EXPECT_EQ(memcmp(addr_of(from), kHost6.data(), 16), 0);
  ASSERT_EQ(s2->recvfrom(buf, sizeof(buf), false, &full, &from, &port), 12);
  EXPECT_TRUE(take().empty());  // no port unreachable about a group
  // Sending to a group is not there yet: no route (not a unicast frame).
  EXPECT_EQ(s1->sendto("x", 1, true, stack.ip6_peers()->standin_of(group.data(), false), 9000), -ENETUNREACH);
  stack.ip6_peers()->leave(group.data());
  send();
  EXPECT_EQ(s1->recvfrom(buf, sizeof(buf), false, &full, &from, &port), -EAGAIN);
  s1->close();
  s2->close();
}

}  // namespace
}  // namespace shoal::test
