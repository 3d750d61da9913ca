// The TCP state machine between two stacks: simultaneous open and close,
// half-close, RST to a closed port, resets, TIME_WAIT, close semantics.
#include <gtest/gtest.h>

#include "tcp_test_util.hpp"

namespace shoal::test {
namespace {

using libos::inet::kPollErr;
using libos::inet::kPollHup;
using libos::inet::kPollIn;
using libos::inet::kPollOut;
using libos::inet::kPollRdHup;

struct Events final : libos::inet::SocketEvents {
  void socket_changed(uint32_t bits) override {
    ++calls;
    all |= bits;
  }
  int calls = 0;
  uint32_t all = 0;
};

class TcpStateTest : public TcpPair {
 protected:
  long recv_all(TcpSocket* s, Bytes& out) {
    uint8_t buf[4096];
    long n;
    while ((n = s->recv(buf, sizeof buf, false)) > 0) out.insert(out.end(), buf, buf + n);
    return n;
  }
};

TEST_F(TcpStateTest, RstToClosedPortRefusesConnect) {
  client = TcpSocket::create(a);
  Events ev;
  client->set_events(&ev);
  ASSERT_EQ(client->connect(kIpB, 81), -EINPROGRESS);
  EXPECT_EQ(client->state(), TcpState::syn_sent);
  EXPECT_EQ(client->poll() & kPollOut, 0u);
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::closed; }));
  EXPECT_EQ(b.stats().tcp_rst_sent, 1u);
  EXPECT_NE(ev.all & kPollErr, 0u);
  EXPECT_NE(client->poll() & (kPollErr | kPollHup), 0u);
  EXPECT_EQ(client->take_error(), ECONNREFUSED);
  EXPECT_EQ(client->take_error(), 0);
  // A refused socket may connect again (as on Linux).
  listener = TcpSocket::create(b);
  ASSERT_EQ(listener->bind(0, 81), 0);
  ASSERT_EQ(listener->listen(4), 0);
  ASSERT_EQ(client->connect(kIpB, 81), -EINPROGRESS);
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::established; }));
}

TEST_F(TcpStateTest, HalfCloseKeepsTheOtherDirection) {
  ASSERT_TRUE(connect_pair());
  Bytes msg = pattern(3000);
  ASSERT_EQ(client->send(msg.data(), msg.size(), false), 3000);
  ASSERT_EQ(client->shutdown(1), 0);  // SHUT_WR: FIN after the data
  EXPECT_EQ(client->send(msg.data(), 1, false), -EPIPE);
  Bytes got;
  ASSERT_TRUE(run_until([&] { return server->state() == TcpState::close_wait; }));
  EXPECT_EQ(recv_all(server, got), 0);  // data, then end of stream
  EXPECT_EQ(got, msg);
  EXPECT_NE(server->poll() & kPollRdHup, 0u);
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::fin_wait2; }));
  // The server keeps sending; the client keeps receiving.
  Bytes reply = random_bytes(200'000, 9);
  Bytes back = transfer(server, client, reply, 10'000'000'000ull);
  EXPECT_EQ(back, reply);
  ASSERT_EQ(server->shutdown(1), 0);
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::time_wait; }));
  Bytes rest;
  EXPECT_EQ(recv_all(client, rest), 0);
  EXPECT_TRUE(run_until([&] { return server->state() == TcpState::closed; }));
  EXPECT_NE(server->poll() & kPollHup, 0u);
  EXPECT_EQ(server->take_error(), 0);
}

TEST_F(TcpStateTest, SimultaneousOpen) {
  client = TcpSocket::create(a);
  server = TcpSocket::create(b);
  ASSERT_EQ(client->bind(0, 7001), 0);
  ASSERT_EQ(server->bind(0, 7002), 0);
  ASSERT_EQ(client->connect(kIpB, 7002), -EINPROGRESS);
  ASSERT_EQ(server->connect(kIpA, 7001), -EINPROGRESS);
  ASSERT_TRUE(run_until([&] {
    return client->state() == TcpState::established && server->state() == TcpState::established;
  }));
  Bytes msg = pattern(500);
  ASSERT_EQ(server->send(msg.data(), msg.size(), false), 500);
  Bytes got;
  ASSERT_TRUE(run_until([&] { return client->readable() == 500; }));
  recv_all(client, got);
  EXPECT_EQ(got, msg);
}

TEST_F(TcpStateTest, SimultaneousCloseEndsInTimeWaitBothSides) {
  ASSERT_TRUE(connect_pair());
  ASSERT_EQ(client->shutdown(1), 0);
  ASSERT_EQ(server->shutdown(1), 0);  // both FINs cross on the wire
  EXPECT_EQ(client->state(), TcpState::fin_wait1);
  EXPECT_EQ(server->state(), TcpState::fin_wait1);
  bool saw_closing = false;
  ASSERT_TRUE(run_until([&] {
    saw_closing |= client->state() == TcpState::closing || server->state() == TcpState::closing;
    return client->state() == TcpState::time_wait && server->state() == TcpState::time_wait;
  }));
  EXPECT_TRUE(saw_closing);
}

TEST_F(TcpStateTest, TimeWaitLastsTwoMslAndEnds) {
  ASSERT_TRUE(connect_pair());
  uint16_t cport = client->local_port();
  client->close();  // active close: FIN_WAIT_1 -> 2 -> TIME_WAIT (an orphan)
  client = nullptr;
  ASSERT_TRUE(run_until([&] { return server->state() == TcpState::close_wait; }));
  server->close();
  server = nullptr;
  uint64_t start = wire.now;
  // A new socket cannot bind the TIME_WAIT port without SO_REUSEADDR.
  TcpSocket* probe = TcpSocket::create(a);
  settle(1'000'000'000);
  EXPECT_EQ(probe->bind(0, cport), -EADDRINUSE);
  probe->set_reuseaddr(true);
  TcpSocket* probe2 = TcpSocket::create(a);
  probe2->set_reuseaddr(true);
  EXPECT_EQ(probe2->bind(0, cport), 0);
  probe2->close();
  // Still there after 59 s, gone after 60 s (2 MSL).
  settle(58'000'000'000ull);
  EXPECT_EQ(probe->bind(0, cport), 0) << "with SO_REUSEADDR over TIME_WAIT";
  probe->close();
  TcpSocket* probe3 = TcpSocket::create(a);
  EXPECT_EQ(probe3->bind(0, cport), -EADDRINUSE);
  settle(start + 61'000'000'000ull - wire.now);
  EXPECT_EQ(probe3->bind(0, cport), 0);
  probe3->close();
  EXPECT_EQ(a.tcp().next_deadline(), libos::inet::kNever);
  EXPECT_EQ(b.tcp().next_deadline(), libos::inet::kNever);
}

TEST_F(TcpStateTest, CloseWithUnreadDataResetsThePeer) {
  ASSERT_TRUE(connect_pair());
  Events ev;
  client->set_events(&ev);
  Bytes msg = pattern(1000);
  ASSERT_EQ(client->send(msg.data(), msg.size(), false), 1000);
  ASSERT_TRUE(run_until([&] { return server->readable() == 1000; }));
  server->close();  // unread bytes: RST, as Linux
  server = nullptr;
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::closed; }));
  EXPECT_NE(ev.all & kPollErr, 0u);
  uint8_t buf[10];
  EXPECT_EQ(client->recv(buf, sizeof buf, false), -ECONNRESET);
  EXPECT_EQ(client->recv(buf, sizeof buf, false), 0);
  EXPECT_EQ(client->send(buf, 1, false), -EPIPE);
}

TEST_F(TcpStateTest, ResetMidStreamGivesEconnreset) {
  ASSERT_TRUE(connect_pair());
  server->set_linger(true, 0);
  Bytes big = random_bytes(1 << 20, 5);
  size_t sent = 0;
  // Stream for a while, then the server aborts (SO_LINGER 0).
  run_until([&] {
    long n = client->send(big.data() + sent, big.size() - sent, false);
    if (n > 0) sent += static_cast<size_t>(n);
    uint8_t buf[8192];
    while (server->recv(buf, sizeof buf, false) > 0) {}
    return sent > 300'000;
  });
  server->close();
  server = nullptr;
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::closed; }));
  EXPECT_EQ(client->send(big.data(), 10, false), -ECONNRESET);
  EXPECT_EQ(client->send(big.data(), 10, false), -EPIPE);
}

TEST_F(TcpStateTest, ListenerCloseResetsUnacceptedConnections) {
  listener = TcpSocket::create(b);
  ASSERT_EQ(listener->bind(0, 6000), 0);
  ASSERT_EQ(listener->listen(4), 0);
  client = TcpSocket::create(a);
  ASSERT_EQ(client->connect(kIpB, 6000), -EINPROGRESS);
  ASSERT_TRUE(run_until([&] { return (listener->poll() & kPollIn) != 0; }));
  listener->close();
  listener = nullptr;
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::closed; }));
  EXPECT_EQ(client->take_error(), ECONNRESET);
}

TEST_F(TcpStateTest, AcceptQueueBoundedByBacklog) {
  listener = TcpSocket::create(b);
  ASSERT_EQ(listener->bind(0, 6001), 0);
  ASSERT_EQ(listener->listen(2), 0);
  std::vector<TcpSocket*> cs;
  for (int i = 0; i < 5; ++i) {
    cs.push_back(TcpSocket::create(a));
    ASSERT_EQ(cs.back()->connect(kIpB, 6001), -EINPROGRESS);
  }
  settle(2'000'000'000);
  int queued = 0;
  long err = 0;
  std::vector<TcpSocket*> accepted;
  while (TcpSocket* s = listener->accept(&err)) {
    accepted.push_back(s);
    ++queued;
  }
  EXPECT_EQ(err, -EAGAIN);
  EXPECT_EQ(queued, 2);
  // The others got SYN cookies and their ACKs were dropped while the queue
  // was full (as Linux); their first data carries the cookie again and gets
  // them in once there is room.
  for (TcpSocket* c : cs) {
    if (c->state() == TcpState::established) { EXPECT_EQ(c->send("x", 1, false), 1); }
  }
  EXPECT_GT(b.stats().tcp_syncookies_sent, 0u);
  ASSERT_TRUE(run_until([&] {
    while (TcpSocket* s = listener->accept(&err)) accepted.push_back(s);
    return accepted.size() == 5;
  }, 60'000'000'000ull)) << accepted.size() << " accepted; cookies " << b.stats().tcp_syncookies_sent
                         << " syn dropped " << b.stats().tcp_syn_dropped << " states " << int(cs[2]->state())
                         << int(cs[3]->state()) << int(cs[4]->state());
  for (TcpSocket* s : accepted) s->close();
  for (TcpSocket* s : cs) s->close();
}

TEST_F(TcpStateTest, FreshSocketErrors) {
  client = TcpSocket::create(a);
  uint8_t buf[4];
  EXPECT_EQ(client->recv(buf, 4, false), -ENOTCONN);
  EXPECT_EQ(client->send(buf, 4, false), -EPIPE);
  EXPECT_EQ(client->shutdown(1), -ENOTCONN);
  EXPECT_EQ(client->poll(), kPollOut | libos::inet::kPollWrNorm | kPollHup);
  long err = 0;
  EXPECT_EQ(client->accept(&err), nullptr);
  EXPECT_EQ(err, -EINVAL);
  EXPECT_EQ(client->bind(kIpB, 0), -EADDRNOTAVAIL);  // not a's address
  EXPECT_EQ(client->bind(kIpA, 0), 0);
  EXPECT_EQ(client->bind(kIpA, 0), -EINVAL);
  EXPECT_EQ(client->connect(ip4(192, 168, 1, 1), 80), -ENETUNREACH);
}

TEST_F(TcpStateTest, BindConflictsAsLinux) {
  TcpSocket* s1 = TcpSocket::create(a);
  TcpSocket* s2 = TcpSocket::create(a);
  ASSERT_EQ(s1->bind(0, 8080), 0);
  EXPECT_EQ(s2->bind(kIpA, 8080), -EADDRINUSE);
  s1->set_reuseaddr(true);
  s2->set_reuseaddr(true);
  EXPECT_EQ(s2->bind(kIpA, 8080), 0);  // both SO_REUSEADDR, neither listening
  ASSERT_EQ(s1->listen(4), 0);
  EXPECT_EQ(s2->listen(4), -EADDRINUSE);
  s2->close();
  TcpSocket* s3 = TcpSocket::create(a);
  s3->set_reuseaddr(true);
  EXPECT_EQ(s3->bind(0, 8080), -EADDRINUSE);  // a listener holds it
  s3->close();
  s1->close();
}

}  // namespace
}  // namespace shoal::test
