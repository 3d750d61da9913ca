// TCP timers and flow control under simulated time: RFC 6298 RTO values,
// backoff, user timeout, SYN timeout, keepalive, persist (zero window),
// Nagle / TCP_NODELAY / MSG_MORE, delayed ACKs, window scaling.
#include <gtest/gtest.h>

#include "tcp_test_util.hpp"

namespace shoal::test {
namespace {

class TcpTimerTest : public TcpPair {
 protected:
  // Records every TCP segment a sends (time, parsed) and may drop frames.
  void watch() {
    wire.tap = [this](bool to_b, std::vector<uint8_t>& f) {
      auto s = parse_sent(f);
      if (s && to_b) from_a.push_back({wire.now, *s});
      if (s && !to_b) from_b.push_back({wire.now, *s});
      return to_b ? !drop_a : !drop_b;
    };
  }
  struct Timed {
    uint64_t at;
    SentSeg seg;
  };
  std::vector<Timed> from_a, from_b;
  bool drop_a = false, drop_b = false;
};

TEST_F(TcpTimerTest, RtoFollowsRfc6298AfterMeasuredRtt) {
  ASSERT_TRUE(connect_pair());  // warms the ARP caches: the next SYN's RTT is the wire's
  client->close();
  server->close();
  client = server = nullptr;
  wire.a_to_b.delay_ns = wire.b_to_a.delay_ns = 50'000'000;  // RTT 100 ms
  client = TcpSocket::create(a);
  ASSERT_EQ(client->connect(kIpB, 5000), -EINPROGRESS);
  long err = 0;
  ASSERT_TRUE(run_until([&] {
    if (server == nullptr) server = listener->accept(&err);
    return server != nullptr && client->state() == TcpState::established;
  }));
  watch();
  // One RTT sample (the SYN): SRTT 100 ms, RTTVAR 50 ms, RTO = 100 + 4*50 = 300 ms.
  drop_a = true;
  ASSERT_EQ(client->send("hello", 5, false), 5);
  uint64_t t0 = wire.now;
  ASSERT_TRUE(run_until([&] { return from_a.size() >= 4; }, 10'000'000'000ull));
  EXPECT_EQ(from_a[0].at, t0);
  EXPECT_EQ(from_a[1].at - from_a[0].at, 300'000'000u);  // RTO
  EXPECT_EQ(from_a[2].at - from_a[1].at, 600'000'000u);  // backed off x2
  EXPECT_EQ(from_a[3].at - from_a[2].at, 1'200'000'000u);
  EXPECT_EQ(from_a[1].seg.seq, from_a[0].seg.seq);
  EXPECT_EQ(from_a[1].seg.data, from_a[0].seg.data);
  drop_a = false;
  uint8_t buf[16];
  ASSERT_TRUE(run_until([&] { return server->readable() == 5; }));
  ASSERT_EQ(server->recv(buf, sizeof buf, false), 5);
  // Many samples of a steady 100 ms RTT: RTTVAR decays and the RTO reaches
  // the 200 ms floor (Linux's minimum).
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(client->send("x", 1, false), 1);
    ASSERT_TRUE(run_until([&] { return server->readable() == 1 && client->unsent() == 0; }));
    ASSERT_EQ(server->recv(buf, sizeof buf, false), 1);
  }
  from_a.clear();
  drop_a = true;
  ASSERT_EQ(client->send("y", 1, false), 1);
  ASSERT_TRUE(run_until([&] { return from_a.size() >= 2; }));
  EXPECT_EQ(from_a[1].at - from_a[0].at, 200'000'000u);
  drop_a = false;
}

TEST_F(TcpTimerTest, UserTimeoutAfterRetriesGivesEtimedout) {
  ASSERT_TRUE(connect_pair());
  watch();
  drop_a = drop_b = true;  // the peer vanished
  uint64_t retransmits = a.stats().tcp_retransmits;
  uint64_t t0 = wire.now;
  ASSERT_EQ(client->send("data", 4, false), 4);
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::closed; }, 3000'000'000'000ull));
  EXPECT_EQ(client->take_error(), ETIMEDOUT);
  EXPECT_EQ(a.stats().tcp_retransmits - retransmits, 15u);  // Linux's tcp_retries2
  EXPECT_EQ(a.stats().tcp_timeouts, 1u);
  // Backoff doubling from the 200 ms floor, capped at 120 s.
  uint64_t took = wire.now - t0;
  EXPECT_GT(took, 500'000'000'000u);
  EXPECT_LT(took, 1000'000'000'000u);
}

TEST_F(TcpTimerTest, SynTimeout) {
  watch();
  drop_a = true;
  client = TcpSocket::create(a);
  uint64_t t0 = wire.now;
  ASSERT_EQ(client->connect(kIpB, 5000), -EINPROGRESS);
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::closed; }, 300'000'000'000ull));
  EXPECT_EQ(client->take_error(), ETIMEDOUT);
  EXPECT_EQ(a.stats().tcp_retransmits, 6u);  // 6 retries, as Linux's tcp_syn_retries
  EXPECT_EQ(wire.now - t0, 127'000'000'000u);  // 1 + 2 + ... + 64 s
}

TEST_F(TcpTimerTest, KeepaliveDetectsADeadPeer) {
  ASSERT_TRUE(connect_pair());
  uint32_t idle = 0, intvl = 0, cnt = 0;
  client->keepalive_params(&idle, &intvl, &cnt);
  EXPECT_EQ(idle, 7200u);
  EXPECT_EQ(intvl, 75u);
  EXPECT_EQ(cnt, 9u);
  client->set_keepalive(true);
  client->set_keepalive_params(10, 2, 3);
  watch();
  // Alive: probes answered, the connection stays.
  settle(35'000'000'000ull);
  EXPECT_EQ(client->state(), TcpState::established);
  size_t probes = 0;
  for (auto& t : from_a) probes += t.seg.data.empty() ? 1 : 0;
  EXPECT_GE(probes, 3u);
  EXPECT_LE(probes, 4u);
  // Dead: everything dropped. 10 s idle, 3 probes 2 s apart, then ETIMEDOUT.
  drop_a = drop_b = true;
  uint64_t t0 = wire.now;
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::closed; }, 60'000'000'000ull));
  EXPECT_EQ(client->take_error(), ETIMEDOUT);
  EXPECT_LE(wire.now - t0, 18'000'000'000u);
  EXPECT_EQ(server->state(), TcpState::established);  // never heard of it
}

TEST_F(TcpTimerTest, ZeroWindowPersistProbesThenResume) {
  ASSERT_TRUE(connect_pair());
  watch();
  Bytes data = random_bytes(2 << 20, 11);
  size_t sent = 0;
  // The server does not read: its window closes, the client's ring fills.
  run_until([&] {
    long n = client->send(data.data() + sent, data.size() - sent, false);
    if (n > 0) sent += static_cast<size_t>(n);
    return false;
  }, 5'000'000'000ull);
  EXPECT_GE(server->readable(), static_cast<size_t>(server->rcvbuf()) - 8);  // full, to the scale unit
  EXPECT_EQ(client->send(data.data(), 1, false), -EAGAIN);
  EXPECT_EQ(client->poll() & libos::inet::kPollOut, 0u);
  bool zero_window = false;
  for (auto& t : from_b) zero_window |= t.seg.wnd == 0;
  EXPECT_TRUE(zero_window);
  size_t probes = 0;
  for (auto& t : from_a) probes += t.seg.data.empty() ? 1 : 0;
  EXPECT_GE(probes, 3u);  // persist timer, backing off
  EXPECT_EQ(client->state(), TcpState::established);
  // The server reads: the window opens and the transfer completes intact.
  Bytes got;
  std::vector<uint8_t> buf(65536);
  ASSERT_TRUE(run_until([&] {
    while (sent < data.size()) {
      long n = client->send(data.data() + sent, data.size() - sent, false);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    long n;
    while ((n = server->recv(buf.data(), buf.size(), false)) > 0) got.insert(got.end(), buf.begin(), buf.begin() + n);
    return got.size() == data.size();
  }, 60'000'000'000ull));
  EXPECT_TRUE(got == data);
}

TEST_F(TcpTimerTest, NagleCoalescesSmallWrites) {
  ASSERT_TRUE(connect_pair());
  watch();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(client->send("0123456789", 10, false), 10);
  ASSERT_TRUE(run_until([&] { return server->readable() == 100; }));
  size_t segs = 0;
  for (auto& t : from_a) segs += t.seg.data.empty() ? 0 : 1;
  EXPECT_EQ(segs, 2u);  // the first at once, the rest after its ACK
  EXPECT_FALSE(client->nodelay());
}

TEST_F(TcpTimerTest, NodelaySendsEachWrite) {
  ASSERT_TRUE(connect_pair());
  client->set_nodelay(true);
  EXPECT_TRUE(client->nodelay());
  watch();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(client->send("0123456789", 10, false), 10);
  ASSERT_TRUE(run_until([&] { return server->readable() == 100; }));
  size_t segs = 0;
  for (auto& t : from_a) segs += t.seg.data.empty() ? 0 : 1;
  EXPECT_EQ(segs, 10u);
}

TEST_F(TcpTimerTest, MsgMoreAndCorkHoldPartialSegments) {
  ASSERT_TRUE(connect_pair());
  client->set_nodelay(true);
  watch();
  ASSERT_EQ(client->send("abc", 3, true), 3);  // MSG_MORE
  settle(500'000'000);
  EXPECT_TRUE(from_a.empty());
  ASSERT_EQ(client->send("def", 3, false), 3);
  ASSERT_TRUE(run_until([&] { return server->readable() == 6; }));
  ASSERT_EQ(from_a.size(), 1u);
  EXPECT_EQ(from_a[0].seg.data.size(), 6u);
  from_a.clear();
  client->set_cork(true);
  ASSERT_EQ(client->send("ghi", 3, false), 3);
  settle(500'000'000);
  EXPECT_TRUE(from_a.empty());
  client->set_cork(false);
  ASSERT_TRUE(run_until([&] { return server->readable() == 9; }));
}

TEST_F(TcpTimerTest, DelayedAckWaits40msOrTwoSegments) {
  ASSERT_TRUE(connect_pair());
  watch();
  ASSERT_EQ(client->send("ping", 4, false), 4);
  uint64_t t0 = wire.now;
  ASSERT_TRUE(run_until([&] { return !from_b.empty(); }));
  EXPECT_EQ(from_b[0].at - t0, 40'000'000u);  // one small segment: the delayed-ACK timer
  EXPECT_TRUE(from_b[0].seg.has(kAck));
  from_b.clear();
  // Two full segments: ACKed at once.
  Bytes two = random_bytes(2 * 1460, 3);
  ASSERT_EQ(client->send(two.data(), two.size(), false), static_cast<long>(two.size()));
  t0 = wire.now;
  ASSERT_TRUE(run_until([&] { return !from_b.empty(); }));
  EXPECT_EQ(from_b[0].at, t0);
  EXPECT_EQ(from_b[0].seg.ack, from_a.back().seg.seq + 1460);
}

TEST_F(TcpTimerTest, WindowScalingPutsMoreThan64KInFlight) {
  wire.a_to_b.delay_ns = wire.b_to_a.delay_ns = 25'000'000;
  watch();
  ASSERT_TRUE(connect_pair());
  ASSERT_FALSE(from_a.empty());
  auto ws = from_a[0].seg.opt(3);
  ASSERT_TRUE(ws.has_value());
  EXPECT_EQ((*ws)[0], 3);  // 256 KiB ring -> shift 3
  EXPECT_TRUE(from_a[0].seg.opt(4).has_value());  // SACK-permitted
  auto mss = from_a[0].seg.opt(2);
  ASSERT_TRUE(mss.has_value());
  EXPECT_EQ(get16(mss->data()), 1460);
  uint32_t max_flight = 0, highest = 0, acked = 0;
  bool have_ack = false;
  wire.tap = [&](bool to_b, std::vector<uint8_t>& f) {
    auto s = parse_sent(f);
    if (!s) return true;
    if (to_b && !s->data.empty()) highest = std::max(highest, s->seq + static_cast<uint32_t>(s->data.size()));
    if (!to_b && s->has(kAck)) {
      acked = s->ack;
      have_ack = true;
    }
    if (have_ack && highest - acked > max_flight && highest - acked < (1u << 30)) max_flight = highest - acked;
    return true;
  };
  Bytes data = random_bytes(4 << 20, 12);
  Bytes got = transfer(client, server, data, 60'000'000'000ull);
  EXPECT_TRUE(got == data);
  EXPECT_GT(max_flight, 65536u);
}

}  // namespace
}  // namespace shoal::test
