// TCP and UDP over IPv6 between two stacks on the in-memory wire: the
// sockets address each other by stand-ins (inet/ipv6_peers.hpp), and every
// frame on the wire must be a real IPv6 packet (ethertype 86dd, version 6,
// our addresses, a valid IPv6 pseudo-header checksum): the first datagram
// or SYN waits for neighbour discovery (NS, NA) and then leaves.
#include <gtest/gtest.h>

#include "inet/ipv6.hpp"
#include "inet/ipv6_peers.hpp"
#include "inet/udp.hpp"
#include "tcp_test_util.hpp"

namespace shoal::test {
namespace {

using libos::inet::UdpSocket;

const uint8_t kAddrA[16] = {0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const uint8_t kAddrB[16] = {0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

libos::inet::StackConfig config6(const uint8_t* mac, uint32_t ip, const uint8_t* addr) {
  libos::inet::StackConfig c = config_of(mac, ip);
  c.ipv6 = true;
  memcpy(c.ip6, addr, 16);
  c.ip6_prefix = 64;
  return c;
}

class Ipv6Wire : public TcpPair {
 protected:
  Ipv6Wire() : TcpPair(config6(kMacA, kIpA, kAddrA), config6(kMacB, kIpB, kAddrB)) {
    wire.tap = [this](bool, std::vector<uint8_t>& f) {
      check_frame(f);
      return true;
    };
  }
  // Every TCP or UDP frame: IPv6 between the two static addresses with a
  // checksum over IPv6's pseudo-header; ND messages counted.
  void check_frame(const std::vector<uint8_t>& f) {
    ASSERT_GE(f.size(), 14u);
    uint16_t type = get16(f.data() + 12);
    if (type == 0x0800) {
      const uint8_t* ip = f.data() + 14;
      if (ip[9] == 6 || ip[9] == 17) ++ipv4_transport;
      return;
    }
    if (type != 0x86dd) return;
    const uint8_t* ip = f.data() + 14;
    ASSERT_EQ(ip[0] >> 4, 6);
    size_t plen = get16(ip + 4);
    ASSERT_EQ(14 + 40 + plen, f.size());
    if (ip[6] == 58) {
      if (ip[40] == 135) ++solicits;
      if (ip[40] == 136) ++adverts;
      return;
    }
    if (ip[6] == 44) {
      // A fragment of a UDP datagram: within the MTU, and every one but the
      // last 1448 bytes, as Linux cuts them at MTU 1500.
      ASSERT_LE(f.size(), 1514u);
      EXPECT_EQ(ip[40], 17);
      bool more = (ip[43] & 1) != 0;
      if (more) {
        EXPECT_EQ(plen, 8u + 1448);
      }
      ++frags6;
      return;
    }
    ASSERT_TRUE(ip[6] == 6 || ip[6] == 17);
    bool ab = memcmp(ip + 8, kAddrA, 16) == 0 && memcmp(ip + 24, kAddrB, 16) == 0;
    bool ba = memcmp(ip + 8, kAddrB, 16) == 0 && memcmp(ip + 24, kAddrA, 16) == 0;
    EXPECT_TRUE(ab || ba);
    using namespace libos::inet;
    EXPECT_EQ(csum_fold(csum_add(ip6_pseudo(ip + 8, ip + 24, ip[6], static_cast<uint32_t>(plen)), ip + 40, plen)), 0);
    if (ip[6] == 6) {
      ++tcp6;
      if ((ip[40 + 13] & kSyn) != 0) {
        // MSS option (first option in our SYNs): the MTU less 40 + 20.
        ASSERT_GE(plen, 24u);
        EXPECT_EQ(ip[60], 2);
        EXPECT_EQ(get16(ip + 62), 1500 - 40 - 20);
      }
    } else {
      ++udp6;
    }
  }
  uint32_t b_from_a() { return a.ip6_peers()->standin_of(kAddrB, true); }

  int solicits = 0, adverts = 0, tcp6 = 0, udp6 = 0, frags6 = 0, ipv4_transport = 0;
};

TEST_F(Ipv6Wire, UdpDatagramsBothWays) {
  UdpSocket* sa = UdpSocket::create(a);
  UdpSocket* sb = UdpSocket::create(b);
  ASSERT_EQ(sb->bind(b.ip6_peers()->standin_of(kAddrB, false), 7000), 0);
  Bytes msg = pattern(1000);
  uint32_t to_b = b_from_a();
  ASSERT_TRUE(libos::inet::Stack::is_v6_standin(to_b));
  ASSERT_EQ(sa->sendto(msg.data(), msg.size(), true, to_b, 7000), 1000);
  Bytes got(2000);
  size_t full = 0;
  uint32_t from = 0;
  uint16_t port = 0;
  long n = -EAGAIN;
  ASSERT_TRUE(run_until([&] {
    n = sb->recvfrom(got.data(), got.size(), false, &full, &from, &port);
    return n != -EAGAIN;
  }));
  ASSERT_EQ(n, 1000);
  EXPECT_EQ(Bytes(got.begin(), got.begin() + n), msg);
  EXPECT_EQ(port, sa->local_port());
  // The source is A's address, as b's table knows it.
  const auto* peer = b.ip6_peers()->find(from);
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(memcmp(peer->addr, kAddrA, 16), 0);
  EXPECT_EQ(solicits, 1);  // a asked for b's MAC; b learnt a's from the datagram
  EXPECT_EQ(adverts, 1);
  // The answer goes back to the source.
  ASSERT_EQ(sb->sendto("pong", 4, true, from, port), 4);
  n = -EAGAIN;
  ASSERT_TRUE(run_until([&] {
    n = sa->recvfrom(got.data(), got.size(), false, &full, &from, &port);
    return n != -EAGAIN;
  }));
  ASSERT_EQ(n, 4);
  EXPECT_EQ(from, to_b);
  EXPECT_EQ(port, 7000);
  EXPECT_EQ(solicits, 1);
  EXPECT_EQ(udp6, 2);
  EXPECT_EQ(ipv4_transport, 0);
  // Datagrams that do not fit one packet leave in fragments and arrive
  // whole, both ways: 1453 bytes (2 fragments), 3000 (3), 60000 (42), and
  // IPv6's largest, 65527 (46; IPv4's is 65507).
  size_t frags_before = 0;
  for (size_t size : {size_t{1500 - 40 - 8 + 1}, size_t{3000}, size_t{60000}, size_t{65527}}) {
    Bytes big = random_bytes(size, size);
    got.assign(70000, 0);
    frags_before = static_cast<size_t>(frags6);
    ASSERT_EQ(sa->sendto(big.data(), big.size(), true, to_b, 7000), static_cast<long>(big.size()));
    n = -EAGAIN;
    ASSERT_TRUE(run_until([&] {
      n = sb->recvfrom(got.data(), got.size(), false, &full, &from, &port);
      return n != -EAGAIN;
    }));
    ASSERT_EQ(n, static_cast<long>(size));
    EXPECT_EQ(Bytes(got.begin(), got.begin() + n), big);
    EXPECT_EQ(static_cast<size_t>(frags6) - frags_before, (size + 8 + 1447) / 1448);
    ASSERT_EQ(sb->sendto(big.data(), big.size(), true, from, port), static_cast<long>(size));
    n = -EAGAIN;
    ASSERT_TRUE(run_until([&] {
      n = sa->recvfrom(got.data(), got.size(), false, &full, &from, &port);
      return n != -EAGAIN;
    }));
    ASSERT_EQ(n, static_cast<long>(size));
    EXPECT_EQ(Bytes(got.begin(), got.begin() + n), big);
  }
  EXPECT_EQ(udp6, 2);
  EXPECT_EQ(a.stats().frags_reassembled + b.stats().frags_reassembled, 8u);
  Bytes huge(65528);
  EXPECT_EQ(sa->sendto(huge.data(), huge.size(), true, to_b, 7000), -EMSGSIZE);
  sa->close();
  sb->close();
}

TEST_F(Ipv6Wire, UdpToAClosedPortIsRefused) {
  UdpSocket* sa = UdpSocket::create(a);
  ASSERT_EQ(sa->connect(b_from_a(), 7001), 0);
  ASSERT_EQ(sa->sendto("x", 1, false, 0, 0), 1);
  ASSERT_TRUE(run_until([&] { return (sa->poll() & libos::inet::kPollErr) != 0; }));
  EXPECT_EQ(sa->take_error(), ECONNREFUSED);
  sa->close();
}

TEST_F(Ipv6Wire, TcpHandshakeDataAndClose) {
  listener = TcpSocket::create(b);
  client = TcpSocket::create(a);
  ASSERT_EQ(listener->bind(0, 5000), 0);
  ASSERT_EQ(listener->listen(16), 0);
  uint32_t to_b = b_from_a();
  ASSERT_EQ(client->connect(to_b, 5000), -EINPROGRESS);
  ASSERT_TRUE(run_until([&] {
    if (server == nullptr) {
      long err = 0;
      server = listener->accept(&err);
    }
    return server != nullptr && client->state() == TcpState::established;
  }));
  // Both ends name each other by stand-ins of the real addresses.
  EXPECT_EQ(client->peer_ip(), to_b);
  EXPECT_EQ(client->local_ip(), a.ip6_peers()->standin_of(kAddrA, false));
  const auto* peer = b.ip6_peers()->find(server->peer_ip());
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(memcmp(peer->addr, kAddrA, 16), 0);
  EXPECT_EQ(server->local_ip(), b.ip6_peers()->standin_of(kAddrB, false));
  Bytes up = random_bytes(300'000, 1), down = random_bytes(100'000, 2);
  EXPECT_EQ(transfer(client, server, up, 30'000'000'000ull), up);
  EXPECT_EQ(transfer(server, client, down, 30'000'000'000ull), down);
  ASSERT_EQ(client->shutdown(1), 0);
  char c;
  ASSERT_TRUE(run_until([&] { return server->recv(&c, 1, false) == 0; }));
  server->close();
  server = nullptr;
  ASSERT_TRUE(run_until([&] { return client->recv(&c, 1, false) == 0; }));
  EXPECT_GT(tcp6, 20);
  EXPECT_EQ(ipv4_transport, 0);
  EXPECT_EQ(a.stats().rx_bad_tcp + b.stats().rx_bad_tcp, 0u);
}

TEST_F(Ipv6Wire, TcpToAClosedPortIsReset) {
  client = TcpSocket::create(a);
  ASSERT_EQ(client->connect(b_from_a(), 5001), -EINPROGRESS);
  ASSERT_TRUE(run_until([&] { return client->state() == TcpState::closed; }));
  EXPECT_EQ(client->take_error(), ECONNREFUSED);
  EXPECT_GE(b.stats().tcp_rst_sent, 1u);
}

TEST_F(Ipv6Wire, PacketTooBigLowersTheMss) {
  listener = TcpSocket::create(b);
  client = TcpSocket::create(a);
  ASSERT_EQ(listener->bind(0, 5000), 0);
  ASSERT_EQ(listener->listen(16), 0);
  ASSERT_EQ(client->connect(b_from_a(), 5000), -EINPROGRESS);
  ASSERT_TRUE(run_until([&] {
    if (server == nullptr) {
      long err = 0;
      server = listener->accept(&err);
    }
    return server != nullptr && client->state() == TcpState::established;
  }));
  // The first data segment a -> b is "too big" for a router on the way:
  // dropped, and a gets an ICMPv6 Packet Too Big quoting it.
  std::vector<uint8_t> dropped;
  size_t first = 0, resent = 0;
  uint32_t dropped_seq = 0;
  wire.tap = [&](bool to_b, std::vector<uint8_t>& f) {
    check_frame(f);
    if (!to_b || get16(f.data() + 12) != 0x86dd || f[14 + 6] != 6) return true;
    size_t data = get16(f.data() + 18) - static_cast<size_t>(f[14 + 40 + 12] >> 4) * 4;
    if (data == 0) return true;
    uint32_t seq = get32(f.data() + 14 + 40 + 4);
    if (dropped.empty()) {
      dropped = f;
      first = data;
      dropped_seq = seq;
      return false;
    }
    // The resend of the dropped bytes (segments already queued before the
    // error keep their size).
    if (seq == dropped_seq && resent == 0) resent = data;
    return true;
  };
  Bytes up = random_bytes(100'000, 5);
  ASSERT_EQ(client->send(up.data(), up.size(), false), static_cast<long>(up.size()));
  ASSERT_TRUE(run_until([&] { return !dropped.empty(); }));
  EXPECT_EQ(first, 1500u - 60);
  Bytes ptb = {2, 0, 0, 0, 0, 0, 0x05, 0x00};  // MTU 1280
  ptb.insert(ptb.end(), dropped.begin() + 14, dropped.begin() + 14 + 1280 - 48);
  using namespace libos::inet;
  uint16_t sum = icmp6_checksum(kAddrB, kAddrA, ptb.data(), ptb.size());
  memcpy(ptb.data() + 2, &sum, 2);
  Bytes ip(40);
  ip[0] = 0x60;
  put16(ip, 4, static_cast<uint16_t>(ptb.size()));
  ip[6] = 58;
  ip[7] = 64;
  memcpy(ip.data() + 8, kAddrB, 16);
  memcpy(ip.data() + 24, kAddrA, 16);
  ip.insert(ip.end(), ptb.begin(), ptb.end());
  Bytes frame = eth(kMacA, kMacB, 0x86dd, ip);
  a.input(frame.data(), frame.size());
  Bytes got;
  std::vector<uint8_t> buf(65536);
  ASSERT_TRUE(run_until([&] {
    for (long n; (n = server->recv(buf.data(), buf.size(), false)) > 0;) got.insert(got.end(), buf.begin(), buf.begin() + n);
    return got.size() >= up.size();
  }, 30'000'000'000ull));
  EXPECT_EQ(got, up);
  EXPECT_GT(resent, 0u);
  EXPECT_LE(resent, 1280u - 60);
}

TEST_F(Ipv6Wire, Ipv4StillGoesAsIpv4) {
  ASSERT_TRUE(connect_pair());  // kIpB: an IPv4 address
  Bytes up = random_bytes(50'000, 3);
  EXPECT_EQ(transfer(client, server, up, 10'000'000'000ull), up);
  EXPECT_EQ(tcp6, 0);
  EXPECT_GT(ipv4_transport, 0);
}

}  // namespace
}  // namespace shoal::test
