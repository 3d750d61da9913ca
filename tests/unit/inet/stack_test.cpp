// The Ethernet layer and Stack plumbing: destination filter, ethertype
// dispatch, routing (subnet, gateway, none), ip_begin/ip_commit headers,
// MTU clamping, timers.
#include "inet/arp.hpp"
#include "inet/ipv4.hpp"
#include "inet/tcp.hpp"
#include "inet/udp.hpp"
#include "stack_test_frames.hpp"

namespace shoal::test {
namespace {

using libos::inet::IpTx;
using libos::inet::kNever;
using libos::inet::Stack;
using libos::inet::UdpSocket;

using StackTest = OneStack;

// What a socket waits for after a loopback exchange: the stack delivers its
// loopback queue a few rounds per run_timers(), so these run it until the
// answer is there (bounded).
libos::inet::TcpSocket* accept_looped(Stack& stack, libos::inet::TcpSocket* listener) {
  long err = 0;
  libos::inet::TcpSocket* conn = nullptr;
  for (int i = 0; i < 20 && conn == nullptr; ++i) {
    stack.run_timers();
    conn = listener->accept(&err);
  }
  return conn;
}

long recv_looped(Stack& stack, libos::inet::TcpSocket* s, char* buf, size_t len) {
  long n = -EAGAIN;
  for (int i = 0; i < 20 && n == -EAGAIN; ++i) {
    stack.run_timers();
    n = s->recv(buf, len, false);
  }
  return n;
}

TEST_F(StackTest, EthernetFilterAndDispatch) {
  Bytes echo = ipv4(kIpHost, kIpB, 1, icmp_echo(1, 1, pattern(8)));
  const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x77};
  const uint8_t multicast[6] = {0x01, 0, 0x5e, 0, 0, 1};
  feed(eth(other, kMacHost, 0x0800, echo));
  feed(eth(multicast, kMacHost, 0x0800, echo));
  EXPECT_EQ(stack.stats().rx_not_for_us, 2u);
  feed(eth(kMacB, kMacHost, 0x86dd, echo));
  EXPECT_EQ(stack.stats().rx_unknown_ethertype, 1u);
  feed(Bytes(13, 0));
  feed(eth(kMacB, kBcast, 0x0800, echo));  // a group source address
  EXPECT_EQ(stack.stats().rx_bad_eth, 2u);
  EXPECT_TRUE(take().empty());
  feed(eth(kMacB, kMacHost, 0x0800, echo));
  EXPECT_EQ(stack.stats().icmp_echo_answered, 1u);
  EXPECT_EQ(stack.stats().rx_frames, 6u);
}

TEST_F(StackTest, IpBeginWritesAHeaderAndCommitSendsIt) {
  learn_host();
  IpTx tx;
  uint8_t* l4 = stack.ip_begin(kIpHost, libos::inet::kProtoTcp, 20, &tx);
  ASSERT_NE(l4, nullptr);
  memset(l4, 0xab, 20);
  stack.ip_commit(&tx);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  const Bytes& f = out[0];
  ASSERT_EQ(f.size(), 54u);
  EXPECT_EQ(0, memcmp(f.data(), kMacHost, 6));
  EXPECT_EQ(0, memcmp(f.data() + 6, kMacB, 6));
  const uint8_t* ip = f.data() + 14;
  EXPECT_EQ(ip[0], 0x45);
  EXPECT_EQ(get16(ip + 2), 40);
  EXPECT_EQ(get16(ip + 6), 0x4000);  // DF for TCP
  EXPECT_EQ(ip[8], 64);
  EXPECT_EQ(ip[9], 6);
  EXPECT_EQ(libos::inet::checksum(ip, 20), 0);
  uint16_t id1 = get16(ip + 4);
  l4 = stack.ip_begin(kIpHost, libos::inet::kProtoUdp, 8, &tx);
  ASSERT_NE(l4, nullptr);
  memset(l4, 0, 8);
  stack.ip_commit(&tx);
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(get16(out[0].data() + 14 + 4), static_cast<uint16_t>(id1 + 1));  // identification counts
  EXPECT_EQ(get16(out[0].data() + 14 + 6), 0);
}

TEST_F(StackTest, NoRoomInTheDeviceIsALostPacket) {
  learn_host();
  dev.full = true;
  IpTx tx;
  EXPECT_EQ(stack.ip_begin(kIpHost, libos::inet::kProtoUdp, 8, &tx), nullptr);
  EXPECT_EQ(stack.stats().tx_no_room, 1u);
  stack.ip_commit(&tx);  // harmless
  dev.full = false;
}

TEST(StackRouting, SubnetGatewayAndNone) {
  WireEnd d;
  auto cfg = config_of(kMacB, kIpB);
  Stack no_gw(cfg, d, test_random32);
  EXPECT_TRUE(no_gw.routable(ip4(10, 0, 0, 50)));
  EXPECT_TRUE(no_gw.routable(ip4(255, 255, 255, 255)));
  EXPECT_FALSE(no_gw.routable(ip4(8, 8, 8, 8)));
  EXPECT_FALSE(no_gw.routable(0));
  EXPECT_FALSE(no_gw.routable(ip4(224, 0, 0, 1)));
  IpTx tx;
  EXPECT_EQ(no_gw.ip_begin(ip4(8, 8, 8, 8), libos::inet::kProtoUdp, 8, &tx), nullptr);

  cfg.gateway = ip4(10, 0, 0, 1);
  d.sent.clear();
  Stack gw(cfg, d, test_random32);
  gw.set_now(1);
  d.sent.clear();
  EXPECT_TRUE(gw.routable(ip4(8, 8, 8, 8)));
  uint8_t* l4 = gw.ip_begin(ip4(8, 8, 8, 8), libos::inet::kProtoUdp, 8, &tx);
  ASSERT_NE(l4, nullptr);
  EXPECT_EQ(tx.next_hop, ip4(10, 0, 0, 1));
  memset(l4, 0, 8);
  gw.ip_commit(&tx);
  // The packet waits; the ARP request asks for the gateway.
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(get_addr(d.sent.front().data() + 38), ip4(10, 0, 0, 1));
  EXPECT_EQ(gw.arp().state_of(ip4(10, 0, 0, 1)), libos::inet::Arp::State::incomplete);
}

TEST(StackConfig, MtuIsClampedToTheDevice) {
  WireEnd d;
  auto cfg = config_of(kMacB, kIpB);
  cfg.mtu = 9000;
  Stack s(cfg, d, test_random32);
  EXPECT_EQ(s.config().mtu, 1500);
  cfg.mtu = 10;
  Stack t(cfg, d, test_random32);
  EXPECT_EQ(t.config().mtu, 576);
}

TEST(StackConfig, SmallMtuFragmentsAtEightByteBoundaries) {
  WireEnd d;
  auto cfg = config_of(kMacB, kIpB);
  cfg.mtu = 600;
  Stack s(cfg, d, test_random32);
  s.set_now(1);
  Bytes req = eth(kBcast, kMacHost, 0x0806, arp_packet(1, kMacHost, kIpHost, kBcast, kIpB));
  s.input(req.data(), req.size());
  d.sent.clear();
  UdpSocket* u = UdpSocket::create(s);
  Bytes data = pattern(1500);
  ASSERT_EQ(u->sendto(data.data(), data.size(), true, kIpHost, 9), 1500);
  ASSERT_EQ(d.sent.size(), 3u);  // 1508 bytes of UDP in 576 + 576 + 356
  for (auto& f : d.sent) {
    EXPECT_LE(f.size(), 14u + 600u);
    size_t payload = get16(f.data() + 14 + 2) - 20u;
    bool more = (get16(f.data() + 14 + 6) & 0x2000) != 0;
    if (more) {
      EXPECT_EQ(payload % 8, 0u);
    }
  }
  u->close();
}

TEST_F(StackTest, IdleStackHasNoDeadline) {
  EXPECT_EQ(stack.next_deadline(), kNever);
  EXPECT_EQ(stack.run_timers(), kNever);
}


TEST_F(StackTest, DatagramsToOurOwnAddressLoopBack) {
  UdpSocket* rx = UdpSocket::create(stack);
  UdpSocket* tx = UdpSocket::create(stack);
  ASSERT_EQ(rx->bind(0, 7777), 0);
  Bytes data = pattern(5000);
  ASSERT_EQ(tx->sendto(data.data(), data.size(), true, kIpB, 7777), 5000);
  EXPECT_TRUE(take().empty());  // nothing on the wire
  EXPECT_EQ(stack.next_deadline(), now);
  stack.run_timers();
  Bytes got(6000);
  uint32_t ip = 0;
  ASSERT_EQ(rx->recvfrom(got.data(), got.size(), false, nullptr, &ip, nullptr), 5000);
  got.resize(5000);
  EXPECT_EQ(got, data);
  EXPECT_EQ(ip, kIpB);
  // To a closed port: the ICMP error loops back too and reaches a connected socket.
  ASSERT_EQ(tx->connect(kIpB, 7778), 0);
  ASSERT_EQ(tx->sendto("x", 1, false, 0, 0), 1);
  stack.run_timers();
  EXPECT_EQ(tx->take_error(), ECONNREFUSED);
  EXPECT_EQ(stack.next_deadline(), kNever);
  rx->close();
  tx->close();
}


TEST_F(StackTest, TcpToOurOwnAddressLoopsBack) {
  using libos::inet::TcpSocket;
  TcpSocket* listener = TcpSocket::create(stack);
  ASSERT_EQ(listener->bind(0, 8080), 0);
  ASSERT_EQ(listener->listen(4), 0);
  TcpSocket* client = TcpSocket::create(stack);
  ASSERT_EQ(client->connect(kIpB, 8080), -EINPROGRESS);
  TcpSocket* server = accept_looped(stack, listener);
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(client->send("ping", 4, false), 4);
  char buf[8] = {};
  long n = recv_looped(stack, server, buf, sizeof buf);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  EXPECT_TRUE(take().empty());
  client->close();
  server->close();
  listener->close();
}

// 127.0.0.0/8 is this instance too (Linux's lo): a server bound to
// 127.0.0.1 or to any address answers a client of 127.0.0.1, whose source is
// 127.0.0.1; nothing reaches the wire. A 127.x source from the wire is martian.
TEST_F(StackTest, LoopbackNetIsLocal) {
  using libos::inet::TcpSocket;
  const uint32_t lo = Stack::kLoopbackAddr;
  EXPECT_TRUE(stack.routable(lo));
  EXPECT_TRUE(stack.is_local(lo));
  TcpSocket* listener = TcpSocket::create(stack);
  ASSERT_EQ(listener->bind(lo, 9090), 0);
  ASSERT_EQ(listener->listen(4), 0);
  TcpSocket* client = TcpSocket::create(stack);
  ASSERT_EQ(client->connect(lo, 9090), -EINPROGRESS);
  TcpSocket* server = accept_looped(stack, listener);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(client->local_ip(), lo);
  EXPECT_EQ(server->peer_ip(), lo);
  ASSERT_EQ(server->send("pong", 4, false), 4);
  char buf[8] = {};
  long n = recv_looped(stack, client, buf, sizeof buf);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(buf, 4), "pong");

  UdpSocket* rx = UdpSocket::create(stack);
  UdpSocket* tx = UdpSocket::create(stack);
  ASSERT_EQ(rx->bind(lo, 5353), 0);
  ASSERT_EQ(tx->sendto("dg", 2, true, lo, 5353), 2);
  stack.run_timers();
  uint32_t from = 0;
  ASSERT_EQ(rx->recvfrom(buf, sizeof buf, false, nullptr, &from, nullptr), 2);
  EXPECT_EQ(from, lo);
  EXPECT_TRUE(take().empty());

  uint64_t bad = stack.stats().rx_bad_ip;
  feed(eth(kMacB, kMacHost, 0x0800, ipv4(lo, kIpB, 1, icmp_echo(1, 1, pattern(8)))));
  EXPECT_EQ(stack.stats().rx_bad_ip, bad + 1);
  EXPECT_EQ(stack.stats().icmp_echo_answered, 0u);
  rx->close();
  tx->close();
  client->close();
  server->close();
  listener->close();
}

}  // namespace
}  // namespace shoal::test

namespace shoal::test {
namespace {

// AF_INET6's families in TCP (TcpSocket::set_family): ::1 is carried as
// kLoopback6Addr, its own source. An IPv4-only listener (an AF_INET socket)
// refuses it, an IPv6-only one (IPV6_V6ONLY) takes only it, and the two
// share a port as Linux's v4 and v6-only sockets do; a dual-stack socket
// conflicts with both; the family is fixed once bound.
TEST_F(OneStack, TcpFamiliesSplitListenersAsLinux) {
  using libos::inet::TcpSocket;
  using libos::inet::TcpState;
  using F = TcpSocket::Family;
  const uint32_t lo6 = Stack::kLoopback6Addr;
  EXPECT_EQ(stack.source_for(lo6), lo6);
  auto connect_looped = [&](uint32_t dst) {
    TcpSocket* c = TcpSocket::create(stack);
    EXPECT_EQ(c->connect(dst, 7000), -EINPROGRESS);
    for (int i = 0; i < 20 && c->state() == TcpState::syn_sent; ++i) stack.run_timers();
    return c;
  };
  TcpSocket* v4 = TcpSocket::create(stack);
  ASSERT_EQ(v4->set_family(F::ipv4_only), 0);
  ASSERT_EQ(v4->bind(0, 7000), 0);
  ASSERT_EQ(v4->listen(4), 0);
  TcpSocket* c6 = connect_looped(lo6);
  EXPECT_EQ(c6->state(), TcpState::closed);  // refused: no listener takes ::1
  EXPECT_EQ(c6->take_error(), ECONNREFUSED);
  c6->close();

  TcpSocket* v6 = TcpSocket::create(stack);
  ASSERT_EQ(v6->set_family(F::ipv6_only), 0);
  ASSERT_EQ(v6->bind(0, 7000), 0);
  EXPECT_EQ(v6->set_family(F::any), -EINVAL);
  ASSERT_EQ(v6->listen(4), 0);
  TcpSocket* dual = TcpSocket::create(stack);
  EXPECT_EQ(dual->bind(0, 7000), -EADDRINUSE);
  dual->close();

  c6 = connect_looped(lo6);
  TcpSocket* c4 = connect_looped(Stack::kLoopbackAddr);
  long err = 0;
  TcpSocket* a6 = nullptr;
  TcpSocket* a4 = nullptr;
  for (int i = 0; i < 20 && (a6 == nullptr || a4 == nullptr); ++i) {
    stack.run_timers();
    if (a6 == nullptr) a6 = v6->accept(&err);
    if (a4 == nullptr) a4 = v4->accept(&err);
  }
  ASSERT_NE(a6, nullptr);
  ASSERT_NE(a4, nullptr);
  EXPECT_EQ(a6->peer_ip(), lo6);
  EXPECT_EQ(a6->local_ip(), lo6);
  EXPECT_EQ(a4->peer_ip(), Stack::kLoopbackAddr);
  EXPECT_EQ(v6->accept(&err), nullptr);
  EXPECT_EQ(v4->accept(&err), nullptr);
  EXPECT_TRUE(take().empty());  // all of it stayed inside the stack
  for (TcpSocket* s : {a6, a4, c6, c4, v6, v4}) s->close();
}

}  // namespace
}  // namespace shoal::test
