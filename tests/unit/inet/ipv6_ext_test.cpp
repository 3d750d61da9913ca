// IPv6 extension headers and fragments on receive (ipv6_ext.cpp), against
// hand-built packets, each answer checked as Linux gives it: fragments
// reassembled in any order (60 s to finish, overlaps drop the datagram per
// RFC 5722, atomic fragments taken as they are), Hop-by-Hop and Destination
// options skipped or acted on by their type's high bits, a Routing header
// with segments left refused, and an unknown next header answered with a
// Parameter Problem pointing at the field that named it.
#include <gtest/gtest.h>

#include "inet/ipv6_peers.hpp"
#include "inet/reassembly.hpp"
#include "inet/udp.hpp"
#include "ipv6_test_util.hpp"

namespace shoal::test {
namespace {

using libos::inet::Reassembly;
using libos::inet::UdpSocket;

// A Fragment header (next, offset in bytes, more, id) and its piece.
Bytes frag(uint8_t next, size_t off, bool more, uint32_t id, const Bytes& piece) {
  Bytes h(8, 0);
  h[0] = next;
  put16(h, 2, static_cast<uint16_t>(off | (more ? 1 : 0)));
  put32(h, 4, id);
  h.insert(h.end(), piece.begin(), piece.end());
  return h;
}

// An options header (Hop-by-Hop or Destination) holding the given option
// bytes, padded with PadN to a multiple of 8.
Bytes opts(uint8_t next, Bytes options) {
  Bytes h = {next, 0};
  h.insert(h.end(), options.begin(), options.end());
  size_t pad = (8 - h.size() % 8) % 8;
  if (pad == 1) h.push_back(0);  // Pad1
  else if (pad > 1) {
    h.push_back(1);
    h.push_back(static_cast<uint8_t>(pad - 2));
    h.insert(h.end(), pad - 2, 0);
  }
  h[1] = static_cast<uint8_t>(h.size() / 8 - 1);
  return h;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class Ipv6Ext : public Ipv6Test {
 protected:
  Ipv6Ext() {
    sock = UdpSocket::create(stack);
    EXPECT_EQ(sock->bind(0, 9), 0);
  }
  ~Ipv6Ext() override { sock->close(); }
  // The next datagram on port 9, or empty.
  Bytes received() {
    Bytes buf(70000);
    size_t full = 0;
    uint32_t from = 0;
    uint16_t port = 0;
    long n = sock->recvfrom(buf.data(), buf.size(), false, &full, &from, &port);
    if (n < 0) return {};
    const auto* p = stack.ip6_peers()->find(from);
    EXPECT_NE(p, nullptr);
    if (p != nullptr) {
      EXPECT_EQ(memcmp(p->addr, kHost6.data(), 16), 0);
    }
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
  // The one frame sent: a Parameter Problem (type 4) about `sent`; its
  // code and pointer.
  void expect_problem(const Bytes& sent, uint8_t code, uint32_t pointer) {
    auto out = take();
    ASSERT_EQ(out.size(), 1u);
    Bytes m = answer(out[0], kMacHost, kStatic, kHost6, 64);
    ASSERT_GE(m.size(), 8u);
    EXPECT_EQ(m[0], 4);
    EXPECT_EQ(m[1], code);
    EXPECT_EQ(get32(m.data() + 4), pointer);
    EXPECT_EQ(Bytes(m.begin() + 8, m.end()), sent);
  }
  void feed(const Bytes& pkt) { feed6(kMacB, pkt); }
  UdpSocket* sock = nullptr;
};

TEST_F(Ipv6Ext, FragmentsInAnyOrderAreReassembled) {
  Bytes data = pattern(3000);
  Bytes u = udp6(kHost6, kStatic, 4000, 9, data);  // 3008 bytes
  // Pieces of 1232, 1232 and 544 bytes, the last first.
  feed(ip6(kHost6, kStatic, 44, frag(17, 2464, false, 7, Bytes(u.begin() + 2464, u.end())), 64));
  feed(ip6(kHost6, kStatic, 44, frag(17, 0, true, 7, Bytes(u.begin(), u.begin() + 1232)), 64));
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(stack.ip6_reassembly()->in_progress(), 1u);
  feed(ip6(kHost6, kStatic, 44, frag(17, 1232, true, 7, Bytes(u.begin() + 1232, u.begin() + 2464)), 64));
  EXPECT_EQ(received(), data);
  EXPECT_EQ(stack.ip6_reassembly()->in_progress(), 0u);
  EXPECT_EQ(stack.stats().frags_reassembled, 1u);
  EXPECT_TRUE(take().empty());
}

TEST_F(Ipv6Ext, SixtyThousandBytesIn49Fragments) {
  Bytes data = pattern(60000);
  Bytes u = udp6(kHost6, kStatic, 4000, 9, data);
  for (size_t off = 0; off < u.size(); off += 1232) {
    size_t n = std::min<size_t>(1232, u.size() - off);
    feed(ip6(kHost6, kStatic, 44, frag(17, off, off + n < u.size(), 0x12345678, Bytes(u.begin() + off, u.begin() + off + n)), 64));
  }
  EXPECT_EQ(received(), data);
  EXPECT_EQ(stack.ip6_reassembly()->bytes(), 0u);
}

TEST_F(Ipv6Ext, OverlappingFragmentsDropTheDatagram) {
  Bytes u = udp6(kHost6, kStatic, 4000, 9, pattern(2000));
  feed(ip6(kHost6, kStatic, 44, frag(17, 0, true, 9, Bytes(u.begin(), u.begin() + 1232)), 64));
  // Overlaps the first by 8 bytes (RFC 5722: the whole datagram goes).
  feed(ip6(kHost6, kStatic, 44, frag(17, 1224, false, 9, Bytes(u.begin() + 1224, u.end())), 64));
  EXPECT_EQ(stack.ip6_reassembly()->in_progress(), 0u);
  feed(ip6(kHost6, kStatic, 44, frag(17, 1232, false, 9, Bytes(u.begin() + 1232, u.end())), 64));
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(stack.stats().frags_reassembled, 0u);
}

TEST_F(Ipv6Ext, AnUnfinishedDatagramIsForgottenAfterSixtySeconds) {
  Bytes u = udp6(kHost6, kStatic, 4000, 9, pattern(2000));
  uint64_t start = stack.now();
  feed(ip6(kHost6, kStatic, 44, frag(17, 0, true, 11, Bytes(u.begin(), u.begin() + 1232)), 64));
  EXPECT_EQ(stack.next_deadline(), start + Reassembly::kTimeout6);
  stack.set_now(start + Reassembly::kTimeout6 - 1);
  stack.run_timers();
  EXPECT_EQ(stack.ip6_reassembly()->in_progress(), 1u);
  stack.set_now(start + Reassembly::kTimeout6);
  stack.run_timers();
  EXPECT_EQ(stack.ip6_reassembly()->in_progress(), 0u);
  feed(ip6(kHost6, kStatic, 44, frag(17, 1232, false, 11, Bytes(u.begin() + 1232, u.end())), 64));
  EXPECT_TRUE(received().empty());
}

TEST_F(Ipv6Ext, AnAtomicFragmentIsDeliveredAsItIs) {
  Bytes u = udp6(kHost6, kStatic, 4000, 9, pattern(100));
  feed(ip6(kHost6, kStatic, 44, frag(17, 0, false, 13, u), 64));
  EXPECT_EQ(received(), pattern(100));
  EXPECT_EQ(stack.ip6_reassembly()->in_progress(), 0u);
}

TEST_F(Ipv6Ext, AShortNonFinalFragmentIsAParameterProblem) {
  Bytes pkt = ip6(kHost6, kStatic, 44, frag(17, 0, true, 15, pattern(1001)), 64);
  feed(pkt);
  expect_problem(pkt, 0, 4);  // points at the payload length
  EXPECT_EQ(stack.ip6_reassembly()->in_progress(), 0u);
}

TEST_F(Ipv6Ext, AFragmentEndingPast65535IsAParameterProblem) {
  Bytes pkt = ip6(kHost6, kStatic, 44, frag(17, 65528, true, 17, pattern(16)), 64);
  feed(pkt);
  expect_problem(pkt, 0, 42);  // points at the fragment offset
}

TEST_F(Ipv6Ext, OptionsAreSkippedOrActedOnByTheirType) {
  Bytes u = udp6(kHost6, kStatic, 4000, 9, pattern(50));
  // Hop-by-Hop with Router Alert and an unknown "skip" option (00xxxxxx),
  // then Destination options with PadN only: delivered.
  Bytes hbh = opts(60, {5, 2, 0, 0, 0x1e, 1, 0});
  Bytes dst = opts(17, {});
  feed(ip6(kHost6, kStatic, 0, cat(hbh, cat(dst, u)), 64));
  EXPECT_EQ(received(), pattern(50));
  EXPECT_TRUE(take().empty());
  // 01xxxxxx: dropped silently.
  feed(ip6(kHost6, kStatic, 60, cat(opts(17, {0x5e, 0}), u), 64));
  EXPECT_TRUE(received().empty());
  EXPECT_TRUE(take().empty());
  // 10xxxxxx: dropped, Parameter Problem code 2 pointing at the option.
  Bytes pkt = ip6(kHost6, kStatic, 60, cat(opts(17, {1, 0, 0x9e, 0}), u), 64);
  feed(pkt);
  EXPECT_TRUE(received().empty());
  expect_problem(pkt, 2, 40 + 4);
}

TEST_F(Ipv6Ext, RoutingHeadersWithSegmentsLeftAreRefused) {
  Bytes u = udp6(kHost6, kStatic, 4000, 9, pattern(20));
  // Type 0, no segments left: skipped as Linux does.
  Bytes rh(24, 0);
  rh[0] = 17;
  rh[1] = 2;
  feed(ip6(kHost6, kStatic, 43, cat(rh, u), 64));
  EXPECT_EQ(received(), pattern(20));
  // Type 0 with a segment left (RFC 5095): Parameter Problem at the type.
  rh[3] = 1;
  Bytes pkt = ip6(kHost6, kStatic, 43, cat(rh, u), 64);
  feed(pkt);
  EXPECT_TRUE(received().empty());
  expect_problem(pkt, 0, 42);
}

TEST_F(Ipv6Ext, AnUnknownNextHeaderIsAParameterProblem) {
  Bytes pkt = ip6(kHost6, kStatic, 253, pattern(16), 64);  // 253: experimental
  feed(pkt);
  expect_problem(pkt, 1, 6);
  // After a Destination options header: the pointer names its field.
  pkt = ip6(kHost6, kStatic, 60, cat(opts(253, {}), pattern(16)), 64);
  feed(pkt);
  expect_problem(pkt, 1, 40);
  // Hop-by-Hop anywhere but first is unknown too.
  pkt = ip6(kHost6, kStatic, 60, cat(opts(0, {}), opts(17, {})), 64);
  feed(pkt);
  expect_problem(pkt, 1, 40);
  // No Next Header (59): dropped, no answer.
  feed(ip6(kHost6, kStatic, 59, pattern(16), 64));
  EXPECT_TRUE(take().empty());
  // To a group: no error (RFC 4443 2.4 (e)).
  uint8_t mac[6] = {0x33, 0x33, 0, 0, 0, 1};
  feed6(mac, ip6(kHost6, kAllNodes, 253, pattern(16), 64));
  EXPECT_TRUE(take().empty());
}

TEST_F(Ipv6Ext, EchoAfterOptionsAndInFragments) {
  // An echo request behind Destination options, and one in two fragments:
  // both answered.
  Bytes e = icmp6(kHost6, kStatic, echo6(1, 2, pattern(1400)));
  feed(ip6(kHost6, kStatic, 44, frag(58, 0, true, 21, Bytes(e.begin(), e.begin() + 1200)), 64));
  feed(ip6(kHost6, kStatic, 44, frag(58, 1200, false, 21, Bytes(e.begin() + 1200, e.end())), 64));
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  Bytes m = answer(out[0], kMacHost, kStatic, kHost6, 64);
  ASSERT_EQ(m.size(), e.size());
  EXPECT_EQ(m[0], 129);
  EXPECT_EQ(Bytes(m.begin() + 8, m.end()), pattern(1400));
}

}  // namespace
}  // namespace shoal::test
