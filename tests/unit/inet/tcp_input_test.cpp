// TCP against a scripted peer (hand-built segments): RST for closed ports,
// malformed options and bogus flag combinations, RFC 5961 challenge ACKs,
// ICMP errors, and a SYN flood of 10,000 sources (bounded memory, cookies,
// a real client still gets in).
#include <gtest/gtest.h>
#include <malloc.h>

#include "tcp_test_util.hpp"

namespace shoal::test {
namespace {

constexpr uint32_t kFar = ip4(172, 16, 0, 1);  // off-subnet: reached via the host as gateway

class TcpInputTest : public ::testing::Test {
 protected:
  TcpInputTest() : stack(config(), dev, test_random32) {
    stack.set_now(now);
    dev.sent.clear();
    // Teach the stack the host's (gateway's) MAC.
    Bytes f = eth(kBcast, kMacHost, 0x0806, arp_packet(1, kMacHost, kIpHost, kBcast, kIpB));
    stack.input(f.data(), f.size());
    dev.sent.clear();
  }
  ~TcpInputTest() override {
    if (listener != nullptr) listener->close();
  }
  static libos::inet::StackConfig config() {
    libos::inet::StackConfig c = config_of(kMacB, kIpB);
    c.gateway = kIpHost;
    return c;
  }
  void send(uint32_t src, const SegSpec& s) {
    Bytes f = eth(kMacB, kMacHost, 0x0800, ipv4(src, kIpB, 6, tcp_segment(src, kIpB, s)));
    stack.input(f.data(), f.size());
  }
  std::vector<SentSeg> take() {
    std::vector<SentSeg> out;
    for (auto& f : dev.sent) {
      if (auto s = parse_sent(f)) out.push_back(*s);
    }
    dev.sent.clear();
    return out;
  }
  void listen(uint16_t port = 80, int backlog = 8) {
    listener = TcpSocket::create(stack);
    ASSERT_EQ(listener->bind(0, port), 0);
    ASSERT_EQ(listener->listen(backlog), 0);
  }
  // Handshake from src:sport; returns the stack's ISN.
  uint32_t handshake(uint32_t src, uint16_t sport, uint32_t isn) {
    send(src, {.sport = sport, .dport = 80, .seq = isn, .flags = kSyn});
    auto out = take();
    EXPECT_EQ(out.size(), 1u);
    if (out.empty()) return 0;
    EXPECT_EQ(out[0].flags, kSyn | kAck);
    send(src, {.sport = sport, .dport = 80, .seq = isn + 1, .ack = out[0].seq + 1, .flags = kAck});
    return out[0].seq;
  }

  uint64_t now = 1'000'000'000;
  WireEnd dev;
  libos::inet::Stack stack;
  TcpSocket* listener = nullptr;
};

TEST_F(TcpInputTest, ClosedPortAnswersWithRst) {
  // ACK set: <SEQ=SEG.ACK><CTL=RST>.
  send(kIpHost, {.sport = 1234, .dport = 99, .seq = 5, .ack = 777, .flags = kAck});
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, kRst);
  EXPECT_EQ(out[0].seq, 777u);
  // No ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; a SYN counts one.
  send(kIpHost, {.sport = 1234, .dport = 99, .seq = 100, .flags = kSyn});
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, kRst | kAck);
  EXPECT_EQ(out[0].seq, 0u);
  EXPECT_EQ(out[0].ack, 101u);
  // Null and "Xmas" scans get the same answer, with data and FIN counted.
  send(kIpHost, {.sport = 1234, .dport = 99, .seq = 100, .flags = 0, .data = Bytes(10, 1)});
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ack, 110u);
  send(kIpHost, {.sport = 1234, .dport = 99, .seq = 100, .flags = kFin | kPsh | 0x20});
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ack, 101u);
  // Never a RST for a RST.
  send(kIpHost, {.sport = 1234, .dport = 99, .seq = 100, .flags = kRst});
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(stack.stats().tcp_rst_sent, 4u);
}

TEST_F(TcpInputTest, MalformedSegmentsAreDropped) {
  listen();
  uint64_t bad = stack.stats().rx_bad_tcp;
  auto syn = [](Bytes opts) { return SegSpec{.sport = 1000, .dport = 80, .seq = 1, .flags = kSyn, .opts = opts}; };
  send(kIpHost, syn({2, 5, 5, 0}));           // MSS with length 5: past the header
  send(kIpHost, syn({2, 3, 5, 0}));           // MSS with length 3
  send(kIpHost, syn({3, 2, 0, 0}));           // window scale with length 2
  send(kIpHost, syn({99, 0, 0, 0}));          // length 0: would loop forever
  send(kIpHost, syn({1, 1, 99, 9}));          // runs past the header
  send(kIpHost, syn({5, 4, 0, 0}));           // SACK block of no blocks
  send(kIpHost, syn({8, 4, 0, 0}));           // timestamp with length 4
  send(kIpHost, {.sport = 1000, .dport = 80, .seq = 1, .flags = kSyn | kFin});
  send(kIpHost, {.sport = 1000, .dport = 80, .seq = 1, .flags = kSyn | kRst});
  send(kIpHost, {.sport = 0, .dport = 80, .seq = 1, .flags = kSyn});
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(stack.stats().rx_bad_tcp - bad, 10u);
  // Bad checksum, bad data offsets.
  Bytes t = tcp_segment(kIpHost, kIpB, syn({}));
  t[16] ^= 0x55;
  Bytes f = eth(kMacB, kMacHost, 0x0800, ipv4(kIpHost, kIpB, 6, t));
  stack.input(f.data(), f.size());
  for (uint8_t doff : {0x40, 0x60, 0xf0}) {
    Bytes u = tcp_segment(kIpHost, kIpB, syn({}));
    u[12] = doff;
    u[16] = u[17] = 0;
    using namespace libos::inet;
    uint16_t sum = csum_fold(csum_add(csum_pseudo(kIpHost, kIpB, 6, static_cast<uint16_t>(u.size())), u.data(), u.size()));
    memcpy(u.data() + 16, &sum, 2);
    Bytes g = eth(kMacB, kMacHost, 0x0800, ipv4(kIpHost, kIpB, 6, u));
    stack.input(g.data(), g.size());
  }
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(stack.stats().rx_bad_tcp - bad, 14u);
  // Unknown options are skipped; the SYN is answered, honouring the MSS.
  send(kIpHost, syn({99, 4, 0, 0, 1, 1, 2, 4, 0x02, 0x00, 1, 1}));
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, kSyn | kAck);
  EXPECT_FALSE(out[0].opt(3).has_value());  // no window scale offered, none answered
}

TEST_F(TcpInputTest, PeerMssIsRespected) {
  listen();
  send(kIpHost, {.sport = 1000, .dport = 80, .seq = 1, .flags = kSyn, .opts = {2, 4, 0x02, 0x00}});  // 512
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  send(kIpHost, {.sport = 1000, .dport = 80, .seq = 2, .ack = out[0].seq + 1, .flags = kAck});
  long err = 0;
  TcpSocket* s = listener->accept(&err);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->maxseg(), 512);
  s->set_nodelay(true);  // else Nagle holds the last partial segment
  Bytes data = pattern(2000);
  ASSERT_EQ(s->send(data.data(), data.size(), false), 2000);
  out = take();
  ASSERT_EQ(out.size(), 4u);  // 512 * 3 + 464, within the peer's 65535 window
  EXPECT_EQ(out[0].data.size(), 512u);
  EXPECT_EQ(out[3].data.size(), 464u);
  s->set_linger(true, 0);
  s->close();
}

TEST_F(TcpInputTest, ChallengeAcksForInWindowRstAndSyn) {
  listen();
  uint32_t iss = handshake(kIpHost, 2000, 5000);
  long err = 0;
  TcpSocket* s = listener->accept(&err);
  ASSERT_NE(s, nullptr);
  take();
  // RST in the window but not at RCV.NXT: challenge ACK, connection lives.
  send(kIpHost, {.sport = 2000, .dport = 80, .seq = 5001 + 100, .flags = kRst});
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, kAck);
  EXPECT_EQ(out[0].ack, 5001u);
  EXPECT_EQ(s->state(), TcpState::established);
  // RST far outside the window: silently dropped.
  send(kIpHost, {.sport = 2000, .dport = 80, .seq = 5001 + 0x40000000, .flags = kRst});
  EXPECT_TRUE(take().empty());
  // SYN on an established connection: challenge ACK.
  send(kIpHost, {.sport = 2000, .dport = 80, .seq = 9999, .flags = kSyn});
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, kAck);
  EXPECT_EQ(s->state(), TcpState::established);
  // An ACK for data never sent: answered with an ACK and ignored.
  send(kIpHost, {.sport = 2000, .dport = 80, .seq = 5001, .ack = iss + 1000, .flags = kAck});
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].seq, iss + 1);
  // The exact RST resets.
  send(kIpHost, {.sport = 2000, .dport = 80, .seq = 5001, .flags = kRst});
  EXPECT_EQ(s->state(), TcpState::closed);
  EXPECT_EQ(s->take_error(), ECONNRESET);
  s->close();
}

TEST_F(TcpInputTest, IcmpPortUnreachableRefusesConnect) {
  TcpSocket* c = TcpSocket::create(stack);
  ASSERT_EQ(c->connect(kIpHost, 4444), -EINPROGRESS);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  // The quoted IPv4 header + first 8 bytes of our SYN.
  Bytes quoted = ipv4(kIpB, kIpHost, 6, tcp_segment(kIpB, kIpHost, {.sport = c->local_port(), .dport = 4444,
                                                                     .seq = out[0].seq, .flags = kSyn}));
  quoted.resize(28);
  Bytes wrong = quoted;
  wrong[24] ^= 1;  // a sequence number we never sent: ignored (RFC 5927)
  stack.tcp().icmp_error(3, 3, wrong.data(), wrong.size());
  EXPECT_EQ(c->state(), TcpState::syn_sent);
  stack.tcp().icmp_error(3, 3, quoted.data(), 27);  // too short
  EXPECT_EQ(c->state(), TcpState::syn_sent);
  stack.tcp().icmp_error(3, 3, quoted.data(), quoted.size());
  EXPECT_EQ(c->state(), TcpState::closed);
  EXPECT_EQ(c->take_error(), ECONNREFUSED);
  c->close();
}

TEST_F(TcpInputTest, SynFloodIsBoundedAndARealClientConnects) {
  listen(80, 128);
  struct mallinfo2 before = mallinfo2();
  uint64_t synacks = 0;
  for (uint32_t i = 0; i < 10'000; ++i) {
    uint32_t src = ip4(172, 16, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
    send(src, {.sport = static_cast<uint16_t>(1024 + i), .dport = 80, .seq = i * 7919, .flags = kSyn,
               .opts = {2, 4, 0x05, 0xb4}});
    synacks += take().size();
    if (i % 1000 == 999) {
      now += 100'000'000;  // the flood takes a second
      stack.set_now(now);
      stack.run_timers();
      take();
    }
  }
  struct mallinfo2 after = mallinfo2();
  EXPECT_EQ(synacks, 10'000u);  // every SYN answered: 128 with state, the rest with cookies
  EXPECT_EQ(stack.stats().tcp_syncookies_sent, 10'000u - 128u);
  EXPECT_LT(after.uordblks - before.uordblks, 512u * 1024u) << "memory grew by " << after.uordblks - before.uordblks;
  // A real client: SYN, cookie SYN-ACK, ACK with its request; accepted.
  send(kFar, {.sport = 55555, .dport = 80, .seq = 42, .flags = kSyn, .opts = {2, 4, 0x05, 0xb4}});
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, kSyn | kAck);
  EXPECT_EQ(out[0].ack, 43u);
  Bytes req = pattern(100);
  send(kFar, {.sport = 55555, .dport = 80, .seq = 43, .ack = out[0].seq + 1, .flags = kAck | kPsh, .data = req});
  long err = 0;
  TcpSocket* s = listener->accept(&err);
  ASSERT_NE(s, nullptr) << err;
  EXPECT_EQ(s->peer_ip(), kFar);
  EXPECT_EQ(s->maxseg(), 1460);
  Bytes got(200);
  ASSERT_EQ(s->recv(got.data(), got.size(), false), 100);
  got.resize(100);
  EXPECT_EQ(got, req);
  // A forged ACK (wrong cookie) gets a RST and no connection.
  take();
  send(kFar, {.sport = 55556, .dport = 80, .seq = 43, .ack = out[0].seq + 1, .flags = kAck});
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, kRst);
  EXPECT_EQ(listener->accept(&err), nullptr);
  s->set_linger(true, 0);
  s->close();
  // The embryonic connections time out (5 SYN-ACK retries) and are freed.
  for (int i = 0; i < 80; ++i) {
    now += 1'000'000'000;
    stack.set_now(now);
    stack.run_timers();
    dev.sent.clear();
  }
  EXPECT_EQ(stack.tcp().next_deadline(), libos::inet::kNever);
}

}  // namespace
}  // namespace shoal::test
