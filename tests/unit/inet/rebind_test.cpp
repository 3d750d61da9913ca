// Stack::rebind: a resumed snapshot moves the stack to another link with
// another MAC and address (issue 13). Established connections end (reset,
// nothing sent to the old peer), listeners stay and take connections at the
// new address, the ARP cache starts empty and a gratuitous ARP announces the
// new address from the new MAC.
#include <gtest/gtest.h>

#include "inet/arp.hpp"
#include "inet/ipv6.hpp"
#include "inet/ipv6_peers.hpp"
#include "tcp_test_util.hpp"

namespace shoal::test {
namespace {

using libos::inet::Arp;

inline const uint8_t kMacC[6] = {0x02, 0, 0, 0, 0, 0x0c};
constexpr uint32_t kIpC = ip4(10, 0, 0, 3);

class RebindTest : public TcpPair {};

TEST_F(RebindTest, ResetsConnectionsKeepsListenersAndAnnouncesTheNewAddress) {
  ASSERT_TRUE(connect_pair(5000));
  ASSERT_EQ(server->state(), TcpState::established);
  EXPECT_EQ(b.tcp_listening_port(0), 5000);
  EXPECT_EQ(b.tcp_listening_port(5000), 5000);
  EXPECT_EQ(b.tcp_listening_port(5001), 0);
  EXPECT_EQ(b.arp().state_of(kIpA), Arp::State::reachable);

  std::vector<Bytes> from_b;
  wire.tap = [&](bool to_b, std::vector<uint8_t>& f) {
    if (!to_b) from_b.push_back(f);
    return true;
  };
  b.rebind(config_of(kMacC, kIpC));

  // The connection is over for the program, and nothing went to the peer
  // but the announcement.
  EXPECT_EQ(server->state(), TcpState::closed);
  EXPECT_EQ(server->take_error(), ECONNRESET);
  EXPECT_EQ(b.arp().state_of(kIpA), Arp::State::free);
  EXPECT_EQ(b.config().ip, kIpC);
  EXPECT_EQ(0, memcmp(b.config().mac, kMacC, 6));
  EXPECT_EQ(b.tcp_listening_port(0), 5000);
  ASSERT_TRUE(run_until([&] { return !from_b.empty(); }, 1'000'000'000));
  ASSERT_EQ(from_b.size(), 1u);
  const Bytes& garp = from_b[0];
  ASSERT_GE(garp.size(), 42u);
  EXPECT_EQ(0, memcmp(garp.data(), kBcast, 6));
  EXPECT_EQ(0, memcmp(garp.data() + 6, kMacC, 6));     // from the new MAC
  EXPECT_EQ(get16(garp.data() + 12), 0x0806);
  EXPECT_EQ(0, memcmp(garp.data() + 22, kMacC, 6));    // sender hardware
  EXPECT_EQ(get_addr(garp.data() + 28), kIpC);         // sender protocol
  EXPECT_EQ(get_addr(garp.data() + 38), kIpC);         // target: itself

  // The listener answers at the new address.
  TcpSocket* again = TcpSocket::create(a);
  ASSERT_NE(again, nullptr);
  ASSERT_EQ(again->connect(kIpC, 5000), -EINPROGRESS);
  TcpSocket* accepted = nullptr;
  ASSERT_TRUE(run_until([&] {
    long err = 0;
    if (accepted == nullptr) accepted = listener->accept(&err);
    return accepted != nullptr && again->state() == TcpState::established;
  }));
  EXPECT_EQ(accepted->local_ip(), kIpC);
  const char msg[] = "after the resume";
  ASSERT_EQ(again->send(msg, sizeof msg, false), static_cast<long>(sizeof msg));
  char buf[64] = {};
  ASSERT_TRUE(run_until([&] { return accepted->readable() == sizeof msg; }));
  ASSERT_EQ(accepted->recv(buf, sizeof buf, false), static_cast<long>(sizeof msg));
  EXPECT_STREQ(buf, msg);
  accepted->close();
  again->close();
}

TEST_F(RebindTest, KeepsConnectionsOverTheLoopback) {
  TcpSocket* l = TcpSocket::create(b);
  TcpSocket* c = TcpSocket::create(b);
  ASSERT_EQ(l->bind(0, 6000), 0);
  ASSERT_EQ(l->listen(4), 0);
  ASSERT_EQ(c->connect(libos::inet::Stack::kLoopbackAddr, 6000), -EINPROGRESS);
  TcpSocket* s = nullptr;
  ASSERT_TRUE(run_until([&] {
    long err = 0;
    if (s == nullptr) s = l->accept(&err);
    return s != nullptr && c->state() == TcpState::established;
  }));
  b.rebind(config_of(kMacC, kIpC));
  EXPECT_EQ(c->state(), TcpState::established);
  EXPECT_EQ(s->state(), TcpState::established);
  s->close();
  c->close();
  l->close();
}

TEST(RebindIpv6, LinkLocalFollowsTheMacAndTheStaticAddressTheConfig) {
  WireEnd dev;
  libos::inet::StackConfig old_config = config_of(kMacB, kIpB);
  old_config.ipv6 = true;
  const uint8_t slaac[16] = {0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  libos::inet::Stack stack(old_config, dev, test_random32);
  stack.ip6_configure(slaac, 64);  // as SLAAC would on the old link
  using libos::inet::Ip6Peers;
  Ip6Peers* peers = stack.ip6_peers();
  ASSERT_NE(peers, nullptr);
  ASSERT_NE(peers->ours(Ip6Peers::kSlotStatic), 0u);

  libos::inet::StackConfig new_config = config_of(kMacC, kIpC);
  new_config.ipv6 = true;
  stack.rebind(new_config);
  uint8_t want[16];
  libos::inet::ip6_link_local(kMacC, want);
  const Ip6Peers::Peer* ll = peers->find(peers->ours(Ip6Peers::kSlotLinkLocal));
  ASSERT_NE(ll, nullptr);
  EXPECT_EQ(0, memcmp(ll->addr, want, 16));
  // The old link's SLAAC address is gone; the new link's routers give the next.
  EXPECT_EQ(peers->ours(Ip6Peers::kSlotStatic), 0u);
  EXPECT_EQ(stack.config().ip6_prefix, 0u);

  // A static address for the new instance replaces it.
  const uint8_t fixed[16] = {0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
  memcpy(new_config.ip6, fixed, 16);
  new_config.ip6_prefix = 64;
  stack.rebind(new_config);
  const Ip6Peers::Peer* st = peers->find(peers->ours(Ip6Peers::kSlotStatic));
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(0, memcmp(st->addr, fixed, 16));
}

}  // namespace
}  // namespace shoal::test
