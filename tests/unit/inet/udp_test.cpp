// UDP between two stacks on an in-memory wire (and against hand-built
// frames): delivery, truncation, peek, connect filtering, ECONNREFUSED from
// port unreachable, SO_RCVBUF bound, fragmentation of a 60 KB datagram,
// port table rules and Linux's errors.
#include "inet/ipv4.hpp"
#include "inet/udp.hpp"
#include "stack_test_frames.hpp"

namespace shoal::test {
namespace {

using libos::inet::kPollErr;
using libos::inet::kPollHup;
using libos::inet::kPollIn;
using libos::inet::kPollOut;
using libos::inet::kPollRdHup;
using libos::inet::SocketEvents;
using libos::inet::UdpSocket;

struct Events final : SocketEvents {
  void socket_changed(uint32_t bits) override {
    ++calls;
    last = bits;
  }
  int calls = 0;
  uint32_t last = 0;
};

class UdpTest : public TwoStacks {
 protected:
  UdpTest() {
    sa = UdpSocket::create(a);
    sb = UdpSocket::create(b);
  }
  ~UdpTest() override {
    if (sa != nullptr) sa->close();
    if (sb != nullptr) sb->close();
  }
  long recv(UdpSocket* s, Bytes& out, size_t cap, size_t* full = nullptr, uint32_t* ip = nullptr,
            uint16_t* port = nullptr, bool peek = false) {
    out.assign(cap, 0);
    size_t f = 0;
    long n = s->recvfrom(out.data(), cap, peek, &f, ip, port);
    if (n >= 0) out.resize(static_cast<size_t>(n));
    if (full != nullptr) *full = f;
    return n;
  }
  bool wait_readable(UdpSocket* s) {
    return run_until([&] { return (s->poll() & kPollIn) != 0; });
  }

  UdpSocket* sa = nullptr;
  UdpSocket* sb = nullptr;
};

TEST_F(UdpTest, SendAndReceiveBetweenStacks) {
  ASSERT_EQ(sb->bind(0, 9000), 0);
  Events ev;
  sb->set_events(&ev);
  Bytes data = pattern(1000);
  ASSERT_EQ(sa->sendto(data.data(), data.size(), true, kIpB, 9000), 1000);
  EXPECT_NE(sa->local_port(), 0);  // autobound
  EXPECT_GE(sa->local_port(), 32768);
  EXPECT_LE(sa->local_port(), 60999);
  ASSERT_TRUE(wait_readable(sb));
  EXPECT_GE(ev.calls, 1);
  EXPECT_NE(ev.last & kPollIn, 0u);
  EXPECT_EQ(sb->next_size(), 1000u);
  Bytes got;
  uint32_t ip = 0;
  uint16_t port = 0;
  size_t full = 0;
  ASSERT_EQ(recv(sb, got, 2000, &full, &ip, &port), 1000);
  EXPECT_EQ(got, data);
  EXPECT_EQ(full, 1000u);
  EXPECT_EQ(ip, kIpA);
  EXPECT_EQ(port, sa->local_port());
  EXPECT_EQ(recv(sb, got, 2000), -EAGAIN);
  // And back to the sender's autobound port.
  ASSERT_EQ(sb->sendto(data.data(), 10, true, kIpA, sa->local_port()), 10);
  ASSERT_TRUE(wait_readable(sa));
  ASSERT_EQ(recv(sa, got, 100), 10);
}

TEST_F(UdpTest, EmptyDatagram) {
  ASSERT_EQ(sb->bind(0, 9000), 0);
  ASSERT_EQ(sa->sendto(nullptr, 0, true, kIpB, 9000), 0);
  ASSERT_TRUE(wait_readable(sb));
  Bytes got;
  size_t full = 99;
  EXPECT_EQ(recv(sb, got, 10, &full), 0);
  EXPECT_EQ(full, 0u);
  EXPECT_EQ(sb->poll() & kPollIn, 0u);
}

TEST_F(UdpTest, TruncationReportsFullLengthAndPeekKeeps) {
  ASSERT_EQ(sb->bind(0, 9000), 0);
  Bytes data = pattern(500);
  ASSERT_EQ(sa->sendto(data.data(), data.size(), true, kIpB, 9000), 500);
  ASSERT_EQ(sa->sendto(data.data(), 7, true, kIpB, 9000), 7);
  ASSERT_TRUE(run_until([&] { return b.stats().rx_frames >= 3; }));  // gratuitous ARP, 2 datagrams... or more
  settle();
  Bytes got;
  size_t full = 0;
  ASSERT_EQ(recv(sb, got, 100, &full, nullptr, nullptr, true), 100);
  EXPECT_EQ(full, 500u);
  ASSERT_EQ(recv(sb, got, 100, &full), 100);  // the rest of a truncated datagram is gone
  EXPECT_EQ(full, 500u);
  EXPECT_EQ(Bytes(data.begin(), data.begin() + 100), got);
  ASSERT_EQ(recv(sb, got, 100, &full), 7);
  EXPECT_EQ(full, 7u);
}

TEST_F(UdpTest, ConnectedSocketFiltersByPeer) {
  ASSERT_EQ(sb->bind(0, 9000), 0);
  ASSERT_EQ(sb->connect(kIpA, 1111), 0);
  EXPECT_TRUE(sb->connected());
  EXPECT_EQ(sb->local_ip(), kIpB);  // connect picks the source address
  EXPECT_EQ(sb->peer_port(), 1111);
  UdpSocket* other = UdpSocket::create(a);
  ASSERT_EQ(other->bind(0, 2222), 0);
  ASSERT_EQ(other->sendto("no", 2, true, kIpB, 9000), 2);
  ASSERT_EQ(sa->bind(0, 1111), 0);
  ASSERT_EQ(sa->sendto("yes", 3, true, kIpB, 9000), 3);
  settle(500'000'000);
  Bytes got;
  ASSERT_EQ(recv(sb, got, 10), 3);
  EXPECT_EQ(got, (Bytes{'y', 'e', 's'}));
  EXPECT_EQ(recv(sb, got, 10), -EAGAIN);
  // The datagram from the wrong peer found no socket: port unreachable.
  EXPECT_EQ(b.stats().udp_no_port, 1u);
  // AF_UNSPEC dissolves the association; the explicitly bound port stays.
  ASSERT_EQ(sb->connect(0, 0), 0);
  EXPECT_FALSE(sb->connected());
  EXPECT_EQ(sb->local_port(), 9000);
  EXPECT_EQ(sb->local_ip(), 0u);
  ASSERT_EQ(other->sendto("now", 3, true, kIpB, 9000), 3);
  ASSERT_TRUE(wait_readable(sb));
  other->close();
}

TEST_F(UdpTest, PortUnreachableGivesEconnrefusedOnConnectedSocket) {
  ASSERT_EQ(sa->connect(kIpB, 4444), 0);
  Events ev;
  sa->set_events(&ev);
  ASSERT_EQ(sa->sendto("x", 1, false, 0, 0), 1);
  ASSERT_TRUE(run_until([&] { return (sa->poll() & kPollErr) != 0; }));
  EXPECT_EQ(b.stats().udp_no_port, 1u);
  EXPECT_NE(ev.last & kPollErr, 0u);
  Bytes got;
  EXPECT_EQ(recv(sa, got, 10), -ECONNREFUSED);
  EXPECT_EQ(recv(sa, got, 10), -EAGAIN);
  // Via SO_ERROR too.
  ASSERT_EQ(sa->sendto("x", 1, false, 0, 0), 1);
  ASSERT_TRUE(run_until([&] { return (sa->poll() & kPollErr) != 0; }));
  EXPECT_EQ(sa->take_error(), ECONNREFUSED);
  EXPECT_EQ(sa->take_error(), 0);
  // An unconnected socket ignores the ICMP error (as Linux without IP_RECVERR).
  ASSERT_EQ(sb->bind(0, 0), 0);
  ASSERT_EQ(sb->sendto("x", 1, true, kIpA, 5555), 1);
  settle(500'000'000);
  EXPECT_EQ(sb->poll() & kPollErr, 0u);
}

// Over the loopback the quoted packet's source is 127.0.0.1, not the stack's
// address: the error must still reach the connected socket (Linux does).
TEST_F(UdpTest, PortUnreachableOverLoopbackGivesEconnrefused) {
  constexpr uint32_t kLoopback = 0x0100007fu;  // 127.0.0.1, network order
  ASSERT_EQ(sa->connect(kLoopback, 4444), 0);
  ASSERT_EQ(sa->sendto("x", 1, false, 0, 0), 1);
  ASSERT_TRUE(run_until([&] { return (sa->poll() & kPollErr) != 0; }));
  EXPECT_EQ(a.stats().udp_no_port, 1u);
  Bytes got;
  EXPECT_EQ(recv(sa, got, 10), -ECONNREFUSED);
}

TEST_F(UdpTest, ReceiveBufferBoundsTheQueue) {
  ASSERT_EQ(sb->bind(0, 9000), 0);
  sb->set_rcvbuf(4096);
  EXPECT_EQ(sb->rcvbuf(), 8192);  // doubled, as Linux
  Bytes data = pattern(1000);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(sa->sendto(data.data(), data.size(), true, kIpB, 9000), 1000);
  settle(1'000'000'000);
  size_t queued = 0;
  Bytes got;
  while (recv(sb, got, 2000) == 1000) ++queued;
  EXPECT_GE(queued, 5u);
  EXPECT_LE(queued, 8u);
  EXPECT_EQ(b.stats().udp_rcvbuf_drops, 50u - queued);
  sb->set_rcvbuf(1);
  EXPECT_EQ(sb->rcvbuf(), 2304);
  sb->set_rcvbuf(-1);
  EXPECT_EQ(sb->rcvbuf(), 2 * 212992);
}

TEST_F(UdpTest, SixtyKilobyteDatagramFragmentsAndReassembles) {
  ASSERT_EQ(sb->bind(0, 9000), 0);
  Bytes data = pattern(60000, 5);
  ASSERT_EQ(sa->sendto(data.data(), data.size(), true, kIpB, 9000), 60000);
  ASSERT_TRUE(wait_readable(sb));
  Bytes got;
  size_t full = 0;
  ASSERT_EQ(recv(sb, got, 70000, &full), 60000);
  EXPECT_EQ(got, data);
  EXPECT_EQ(b.stats().frags_reassembled, 1u);
  EXPECT_EQ(b.stats().frags_received, 41u);  // ceil(60008 / 1480)
  // The largest datagram there is, with the MAC now known (no ARP queue).
  Bytes max = pattern(65507, 9);
  ASSERT_EQ(sa->sendto(max.data(), max.size(), true, kIpB, 9000), 65507);
  ASSERT_TRUE(wait_readable(sb));
  ASSERT_EQ(recv(sb, got, 70000, &full), 65507);
  EXPECT_EQ(got, max);
  EXPECT_EQ(sa->sendto(max.data(), 65508, true, kIpB, 9000), -EMSGSIZE);
}

TEST_F(UdpTest, FragmentedDatagramSurvivesReorderingButNotLoss) {
  ASSERT_EQ(sb->bind(0, 9000), 0);
  wire.a_to_b.delay_ns = 1'000'000;
  wire.a_to_b.reorder = 0.3;
  Bytes data = pattern(20000, 1);
  ASSERT_EQ(sa->sendto(data.data(), data.size(), true, kIpB, 9000), 20000);
  ASSERT_TRUE(wait_readable(sb));
  Bytes got;
  ASSERT_EQ(recv(sb, got, 30000), 20000);
  EXPECT_EQ(got, data);
  // Drop one fragment: nothing arrives, and the remains time out.
  int n = 0;
  wire.tap = [&](bool to_b, std::vector<uint8_t>&) { return !(to_b && ++n == 3); };
  ASSERT_EQ(sa->sendto(data.data(), data.size(), true, kIpB, 9000), 20000);
  settle(31'000'000'000ull);
  EXPECT_EQ(sb->poll() & kPollIn, 0u);
  EXPECT_EQ(b.ipv4().reassembly().in_progress(), 0u);
}

TEST_F(UdpTest, BindRulesFollowLinux) {
  ASSERT_EQ(sa->bind(0, 7000), 0);
  EXPECT_EQ(sa->bind(0, 7001), -EINVAL);  // already bound
  UdpSocket* x = UdpSocket::create(a);
  EXPECT_EQ(x->bind(0, 7000), -EADDRINUSE);
  EXPECT_EQ(x->bind(kIpA, 7000), -EADDRINUSE);
  EXPECT_EQ(x->bind(kIpB, 7000), -EADDRNOTAVAIL);
  x->set_reuseaddr(true);
  EXPECT_EQ(x->bind(0, 7000), -EADDRINUSE);  // both must set SO_REUSEADDR
  sa->set_reuseaddr(true);
  EXPECT_EQ(x->bind(0, 7000), 0);
  // Both share the port; the most recently bound gets unicast datagrams.
  ASSERT_EQ(sb->sendto("hi", 2, true, kIpA, 7000), 2);
  ASSERT_TRUE(run_until([&] { return (x->poll() & kPollIn) != 0; }));
  EXPECT_EQ(sa->poll() & kPollIn, 0u);
  x->close();
  // A specific address beats the wildcard.
  UdpSocket* y = UdpSocket::create(a);
  y->set_reuseaddr(true);
  ASSERT_EQ(y->bind(kIpA, 7000), 0);
  UdpSocket* z = UdpSocket::create(a);
  z->set_reuseaddr(true);
  ASSERT_EQ(z->bind(0, 7000), 0);
  ASSERT_EQ(sb->sendto("hi", 2, true, kIpA, 7000), 2);
  ASSERT_TRUE(run_until([&] { return (y->poll() & kPollIn) != 0; }));
  EXPECT_EQ(z->poll() & kPollIn, 0u);
  y->close();
  z->close();
  // Port 0: distinct ephemeral ports.
  UdpSocket* e1 = UdpSocket::create(a);
  UdpSocket* e2 = UdpSocket::create(a);
  ASSERT_EQ(e1->bind(0, 0), 0);
  ASSERT_EQ(e2->bind(0, 0), 0);
  EXPECT_NE(e1->local_port(), e2->local_port());
  e1->close();
  e2->close();
}

TEST_F(UdpTest, SendErrors) {
  EXPECT_EQ(sa->sendto("x", 1, false, 0, 0), -EDESTADDRREQ);
  EXPECT_EQ(sa->sendto("x", 1, true, kIpB, 0), -EINVAL);
  EXPECT_EQ(sa->sendto("x", 1, true, ip4(192, 168, 1, 1), 53), -ENETUNREACH);  // no gateway
  EXPECT_EQ(sa->connect(ip4(192, 168, 1, 1), 53), -ENETUNREACH);
  EXPECT_EQ(sa->sendto("x", 70000, true, kIpB, 9), -EMSGSIZE);
  EXPECT_EQ(sa->shutdown(1), -ENOTCONN);  // still marks it, as Linux
  EXPECT_EQ(sa->sendto("x", 1, true, kIpB, 9), -EPIPE);
  EXPECT_EQ(sa->shutdown(5), -EINVAL);
}

TEST_F(UdpTest, ShutdownAndPollBits) {
  EXPECT_EQ(sb->poll(), kPollOut | libos::inet::kPollWrNorm);
  ASSERT_EQ(sb->connect(kIpA, 1), 0);
  ASSERT_EQ(sb->shutdown(0), 0);
  EXPECT_NE(sb->poll() & kPollRdHup, 0u);
  EXPECT_NE(sb->poll() & kPollIn, 0u);
  EXPECT_EQ(sb->poll() & kPollHup, 0u);
  Bytes got;
  EXPECT_EQ(recv(sb, got, 10), 0);  // end of input, not EAGAIN
  ASSERT_EQ(sb->shutdown(1), 0);
  EXPECT_NE(sb->poll() & kPollHup, 0u);
}

TEST_F(UdpTest, BufferSizesAsLinux) {
  EXPECT_EQ(sa->rcvbuf(), 212992);
  EXPECT_EQ(sa->sndbuf(), 212992);
  sa->set_sndbuf(1000);
  EXPECT_EQ(sa->sndbuf(), 4608);
  sa->set_sndbuf(100000);
  EXPECT_EQ(sa->sndbuf(), 200000);
  sa->set_rcvbuf(1 << 30);
  EXPECT_EQ(sa->rcvbuf(), 2 * 212992);
}

TEST_F(UdpTest, BroadcastReachesEveryBoundSocket) {
  ASSERT_EQ(sb->bind(0, 6000), 0);
  sb->set_reuseaddr(true);
  UdpSocket* second = UdpSocket::create(b);
  ASSERT_EQ(second->bind(0, 6000), -EADDRINUSE);
  second->set_reuseaddr(true);
  ASSERT_EQ(second->bind(0, 6000), 0);  // the flag counts when the second binds
  ASSERT_EQ(sa->sendto("all", 3, true, ip4(255, 255, 255, 255), 6000), 3);
  ASSERT_TRUE(wait_readable(sb));
  EXPECT_NE(second->poll() & kPollIn, 0u);
  second->close();
  // Nobody on the port: no ICMP for a broadcast.
  ASSERT_EQ(sa->sendto("all", 3, true, ip4(10, 0, 0, 255), 6001), 3);
  settle();
  EXPECT_EQ(a.stats().rx_bad_icmp + b.stats().rx_bad_icmp, 0u);
  EXPECT_EQ(sa->poll() & kPollErr, 0u);
}

class UdpFrameTest : public OneStack {};

TEST_F(UdpFrameTest, ChecksumCheckedAndZeroAllowed) {
  learn_host();
  UdpSocket* s = UdpSocket::create(stack);
  ASSERT_EQ(s->bind(0, 5000), 0);
  Bytes u = udp(kIpHost, kIpB, 1, 5000, pattern(33));
  u[10] ^= 1;
  feed_ip(ipv4(kIpHost, kIpB, 17, u));
  EXPECT_EQ(stack.stats().rx_bad_udp, 1u);
  EXPECT_EQ(s->poll() & kPollIn, 0u);
  feed_ip(ipv4(kIpHost, kIpB, 17, udp(kIpHost, kIpB, 1, 5000, pattern(33), false)));
  EXPECT_EQ(s->next_size(), 33u);
  // A UDP length beyond the packet, or below the header.
  Bytes longer = udp(kIpHost, kIpB, 1, 5000, pattern(5), false);
  put16(longer, 4, 100);
  feed_ip(ipv4(kIpHost, kIpB, 17, longer));
  Bytes shorter = longer;
  put16(shorter, 4, 7);
  feed_ip(ipv4(kIpHost, kIpB, 17, shorter));
  EXPECT_EQ(stack.stats().rx_bad_udp, 3u);
  // A UDP length shorter than the IP payload: the rest is ignored.
  Bytes padded = udp(kIpHost, kIpB, 1, 5000, pattern(5), true);
  padded.resize(padded.size() + 4, 0xcc);
  feed_ip(ipv4(kIpHost, kIpB, 17, padded));
  EXPECT_EQ(stack.stats().rx_bad_udp, 3u);
  s->close();
}

TEST_F(UdpFrameTest, ClosedPortGetsPortUnreachable) {
  learn_host();
  Bytes pkt = ipv4(kIpHost, kIpB, 17, udp(kIpHost, kIpB, 1234, 5001, pattern(20)));
  feed_ip(pkt);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* ip = out[0].data() + 14;
  EXPECT_EQ(ip[9], 1);
  EXPECT_EQ(ip[20], 3);
  EXPECT_EQ(ip[21], 3);
  EXPECT_EQ(0, memcmp(ip + 28, pkt.data(), 28));  // quotes the header + 8 bytes
  EXPECT_EQ(stack.stats().udp_no_port, 1u);
}

}  // namespace
}  // namespace shoal::test
