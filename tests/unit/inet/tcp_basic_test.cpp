// TCP between two stacks on an in-memory wire: handshake, echo, bulk
// transfers checked byte for byte (clean and impaired), half-close,
// simultaneous open and close, TIME_WAIT, resets.
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
    last = bits;
  }
  int calls = 0;
  uint32_t last = 0;
};

class TcpTest : public TcpPair {};

TEST_F(TcpTest, HandshakeAndEcho) {
  ASSERT_TRUE(connect_pair());
  EXPECT_EQ(server->state(), TcpState::established);
  EXPECT_EQ(client->peer_ip(), kIpB);
  EXPECT_EQ(client->peer_port(), 5000);
  EXPECT_EQ(server->peer_ip(), kIpA);
  EXPECT_EQ(server->peer_port(), client->local_port());
  EXPECT_GE(client->local_port(), 32768);
  EXPECT_LE(client->local_port(), 60999);
  EXPECT_EQ(client->maxseg(), 1460);
  EXPECT_NE(client->poll() & kPollOut, 0u);

  Bytes msg = pattern(100);
  ASSERT_EQ(client->send(msg.data(), msg.size(), false), 100);
  Bytes got(200);
  ASSERT_TRUE(run_until([&] { return server->readable() == 100; }));
  EXPECT_NE(server->poll() & kPollIn, 0u);
  ASSERT_EQ(server->recv(got.data(), got.size(), true), 100);  // peek keeps it
  ASSERT_EQ(server->recv(got.data(), got.size(), false), 100);
  got.resize(100);
  EXPECT_EQ(got, msg);
  EXPECT_EQ(server->recv(got.data(), got.size(), false), -EAGAIN);
  ASSERT_EQ(server->send(got.data(), got.size(), false), 100);
  Bytes back(200);
  ASSERT_TRUE(run_until([&] { return client->readable() == 100; }));
  ASSERT_EQ(client->recv(back.data(), back.size(), false), 100);
  back.resize(100);
  EXPECT_EQ(back, msg);
}

TEST_F(TcpTest, TenMegabytesEachWayClean) {
  ASSERT_TRUE(connect_pair());
  Bytes up = random_bytes(10 << 20, 1);
  Bytes got = transfer(client, server, up, 60'000'000'000ull);
  ASSERT_EQ(got.size(), up.size());
  EXPECT_TRUE(got == up);
  Bytes down = random_bytes(10 << 20, 2);
  got = transfer(server, client, down, 60'000'000'000ull);
  ASSERT_EQ(got.size(), down.size());
  EXPECT_TRUE(got == down);
  EXPECT_EQ(a.stats().tcp_retransmits + b.stats().tcp_retransmits, 0u);
}

TEST_F(TcpTest, TenMegabytesEachWayLossDelayReorder) {
  for (Impairment* imp : {&wire.a_to_b, &wire.b_to_a}) {
    imp->loss = 0.05;
    imp->delay_ns = 20'000'000;
    imp->reorder = 0.25;
  }
  ASSERT_TRUE(connect_pair(5000, 60'000'000'000ull));
  Bytes up = random_bytes(10 << 20, 3);
  Bytes got = transfer(client, server, up, 600'000'000'000ull);
  ASSERT_EQ(got.size(), up.size());
  EXPECT_TRUE(got == up);
  Bytes down = random_bytes(10 << 20, 4);
  got = transfer(server, client, down, 600'000'000'000ull);
  ASSERT_EQ(got.size(), down.size());
  EXPECT_TRUE(got == down);
  EXPECT_GT(a.stats().tcp_retransmits + b.stats().tcp_retransmits, 0u);
  EXPECT_GT(a.stats().tcp_fast_retransmits + b.stats().tcp_fast_retransmits, 0u);
  printf("simulated time %.1f s, retransmits %lu/%lu fast %lu/%lu timeouts %lu/%lu\n",
         static_cast<double>(wire.now) / 1e9, static_cast<unsigned long>(a.stats().tcp_retransmits),
         static_cast<unsigned long>(b.stats().tcp_retransmits),
         static_cast<unsigned long>(a.stats().tcp_fast_retransmits),
         static_cast<unsigned long>(b.stats().tcp_fast_retransmits),
         static_cast<unsigned long>(a.stats().tcp_timeouts), static_cast<unsigned long>(b.stats().tcp_timeouts));
}

}  // namespace
}  // namespace shoal::test
