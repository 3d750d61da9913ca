// The stack with a device that offers virtio-net's offloads (checksum and
// TCPv4 segmentation): TCP sends super-frames with partial checksums that
// the device (wire.hpp's WireEnd, playing the host kernel) completes and
// cuts into MSS segments a plain stack accepts byte for byte; received
// super-frames and frames whose checksum the device vouched for are taken
// without verifying it, and only those.
#include <algorithm>

#include <gtest/gtest.h>

#include "inet/tcp_wire.hpp"
#include "tcp_test_util.hpp"

namespace shoal::test {
namespace {

libos::inet::StackConfig offload_config(const uint8_t* mac, uint32_t ip) {
  auto c = config_of(mac, ip);
  c.offload_csum = true;
  c.offload_tso4 = true;
  return c;
}

// A TcpPair with the offloads on a's device only (b is a plain stack that
// verifies every checksum of what the "device" produced).
class OffloadPair : public TcpPair {
 protected:
  OffloadPair() : TcpPair(offload_config(kMacA, kIpA), config_of(kMacB, kIpB)) { wire.dev_a.offload = true; }
};

TEST_F(OffloadPair, BulkTransferGoesAsSuperFramesAndArrivesIntact) {
  // Every frame on the wire is an ordinary one: b checks each.
  size_t largest = 0;
  wire.tap = [&](bool, std::vector<uint8_t>& f) {
    largest = std::max(largest, f.size());
    return true;
  };
  ASSERT_TRUE(connect_pair());
  Bytes up = random_bytes(8 << 20, 11);
  Bytes got = transfer(client, server, up, 60'000'000'000ull);
  ASSERT_EQ(got.size(), up.size());
  EXPECT_TRUE(got == up);
  EXPECT_GT(a.stats().tx_gso_frames, 100u);
  EXPECT_EQ(wire.dev_a.gso_frames, a.stats().tx_gso_frames);
  EXPECT_GT(wire.dev_a.gso_segments, 4 * wire.dev_a.gso_frames);  // several segments each
  EXPECT_EQ(wire.dev_a.bad_offload, 0u);
  EXPECT_EQ(b.stats().rx_bad_tcp, 0u);
  EXPECT_LE(largest, libos::inet::kMaxFrame);
  EXPECT_EQ(a.stats().tcp_retransmits, 0u);
  // The other way a only receives ordinary segments; its ACKs carry partial checksums.
  Bytes down = random_bytes(2 << 20, 12);
  got = transfer(server, client, down, 60'000'000'000ull);
  ASSERT_EQ(got.size(), down.size());
  EXPECT_TRUE(got == down);
  EXPECT_EQ(wire.dev_a.bad_offload, 0u);
  EXPECT_EQ(b.stats().rx_bad_tcp, 0u);
}

TEST_F(OffloadPair, LossAndReorderingStillDeliverEverything) {
  for (Impairment* imp : {&wire.a_to_b, &wire.b_to_a}) {
    imp->loss = 0.02;
    imp->delay_ns = 5'000'000;
    imp->reorder = 0.2;
  }
  ASSERT_TRUE(connect_pair());
  Bytes up = random_bytes(4 << 20, 13);
  Bytes got = transfer(client, server, up, 600'000'000'000ull);
  ASSERT_EQ(got.size(), up.size());
  EXPECT_TRUE(got == up);
  EXPECT_GT(a.stats().tx_gso_frames, 0u);
  EXPECT_EQ(wire.dev_a.bad_offload, 0u);
}

// Nagle holds a short tail as it would for separate segments: the full
// segments go as a super-frame at once, the rest after the ACK.
TEST_F(OffloadPair, NagleStillHoldsTheShortTail) {
  ASSERT_TRUE(connect_pair());
  std::vector<size_t> lens;
  wire.tap = [&](bool to_b, std::vector<uint8_t>& f) {
    if (auto seg = parse_sent(f); to_b && seg && !seg->data.empty()) lens.push_back(seg->data.size());
    return true;
  };
  Bytes one = pattern(1);
  ASSERT_EQ(client->send(one.data(), 1, false), 1);
  Bytes more = pattern(5000, 3);
  ASSERT_EQ(client->send(more.data(), more.size(), false), 5000);
  wire.collect(a, b);
  // The byte and three full segments (one super-frame) left; 620 bytes wait.
  EXPECT_EQ(lens, (std::vector<size_t>{1, 1460, 1460, 1460}));
  EXPECT_EQ(a.stats().tx_gso_frames, 1u);
  Bytes got(8000);
  ASSERT_TRUE(run_until([&] { return server->readable() == 5001; }));
  EXPECT_EQ(lens.back(), 620u);
}

TEST_F(OffloadPair, SuperFramesOnlyForResolvedPeersOnTheDevice) {
  EXPECT_FALSE(a.tso_to(kIpB));  // no ARP entry yet: a frame would queue
  EXPECT_FALSE(a.tso_to(kIpA));  // ourselves: loopback
  ASSERT_TRUE(connect_pair());
  EXPECT_TRUE(a.tso_to(kIpB));
  EXPECT_FALSE(b.tso_to(kIpA));  // b's device has no offloads
}

// A received super-frame: a TCP segment longer than the MSS in one frame
// (the host's GRO/TSO), with a partial checksum that is only right after
// the device completes it. Trusted from the device, it is taken.
TEST_F(OffloadPair, ReceivedSuperFrameWithTrustedChecksumIsAccepted) {
  ASSERT_TRUE(connect_pair());
  // Learn the sequence numbers from a tiny exchange.
  Bytes one = pattern(1);
  ASSERT_EQ(server->send(one.data(), 1, false), 1);
  ASSERT_TRUE(run_until([&] { return client->readable() == 1; }));
  Bytes tmp(8);
  ASSERT_EQ(client->recv(tmp.data(), tmp.size(), false), 1);
  std::optional<SentSeg> last;
  wire.tap = [&](bool to_b, std::vector<uint8_t>& f) {
    if (!to_b) last = parse_sent(f);  // what b sends to a
    return true;
  };
  ASSERT_EQ(server->send(one.data(), 1, false), 1);
  ASSERT_TRUE(run_until([&] { return client->readable() == 1; }));
  ASSERT_EQ(client->recv(tmp.data(), tmp.size(), false), 1);
  ASSERT_TRUE(last.has_value());
  wire.tap = nullptr;
  SegSpec spec;
  spec.sport = last->sport;
  spec.dport = last->dport;
  spec.seq = last->seq + 1;
  spec.ack = last->ack;
  spec.flags = kAck | kPsh;
  spec.wnd = 65535;
  spec.data = random_bytes(20000, 5);
  Bytes seg = tcp_segment(kIpB, kIpA, spec);
  // The field as the host leaves it for a partial checksum: not valid.
  uint16_t pseudo = static_cast<uint16_t>(
      ~libos::inet::csum_fold(libos::inet::csum_pseudo(kIpB, kIpA, 6, static_cast<uint16_t>(seg.size()))));
  memcpy(seg.data() + 16, &pseudo, 2);
  Bytes frame = eth(kMacA, kMacB, 0x0800, ipv4(kIpB, kIpA, 6, seg));
  ASSERT_GT(frame.size(), libos::inet::kMaxFrame);
  uint64_t bad = a.stats().rx_bad_tcp;
  a.input(frame.data(), frame.size());  // not vouched for: the checksum is checked, and fails
  EXPECT_EQ(a.stats().rx_bad_tcp, bad + 1);
  EXPECT_EQ(client->readable(), 0);
  a.input(frame.data(), frame.size(), true);
  EXPECT_EQ(a.stats().rx_bad_tcp, bad + 1);
  EXPECT_EQ(client->readable(), 20000);
  Bytes got(30000);
  ASSERT_EQ(client->recv(got.data(), got.size(), false), 20000);
  got.resize(20000);
  EXPECT_EQ(got, spec.data);
}

// Trust ends with the frame: loopback traffic and later frames are checked.
TEST_F(OffloadPair, TrustDoesNotOutliveItsFrame) {
  Bytes junk = eth(kMacA, kMacB, 0x0800, ipv4(kIpB, kIpA, 17, Bytes(8)));
  a.input(junk.data(), junk.size(), true);
  EXPECT_FALSE(a.rx_checksum_trusted());
}

// Gather (the network device's zero-copy frames): segments of 1 KiB or more
// leave as a head plus spans of the send ring, which the device reads later.
class GatherPair : public OffloadPair {
 protected:
  GatherPair() { wire.dev_a.gather = true; }
};

TEST_F(GatherPair, BulkTransferGathersFromTheSendRingAndArrivesIntact) {
  ASSERT_TRUE(connect_pair());
  Bytes up = random_bytes(8 << 20, 21);
  Bytes got = transfer(client, server, up, 60'000'000'000ull);
  ASSERT_EQ(got.size(), up.size());
  EXPECT_TRUE(got == up);
  EXPECT_GT(wire.dev_a.gather_frames, 100u);
  EXPECT_EQ(a.stats().tx_gather_frames, wire.dev_a.gather_frames);
  EXPECT_EQ(wire.dev_a.bad_offload, 0u);
  EXPECT_EQ(b.stats().rx_bad_tcp, 0u);
}

TEST_F(GatherPair, LossAndReorderingStillDeliverEverything) {
  for (Impairment* imp : {&wire.a_to_b, &wire.b_to_a}) {
    imp->loss = 0.02;
    imp->delay_ns = 5'000'000;
    imp->reorder = 0.1;
  }
  ASSERT_TRUE(connect_pair());
  Bytes up = random_bytes(2 << 20, 22);
  Bytes got = transfer(client, server, up, 300'000'000'000ull);
  ASSERT_EQ(got.size(), up.size());
  EXPECT_TRUE(got == up);
  EXPECT_GT(a.stats().tcp_retransmits, 0u);
  EXPECT_GT(wire.dev_a.gather_frames, 0u);
  EXPECT_EQ(wire.dev_a.bad_offload, 0u);
}

// A reset frees the send ring at once; frames pointing into it have not
// been read yet: the device keeps the ring until they leave, and they carry
// the bytes that were sent.
TEST_F(GatherPair, AbortWhileFramesWaitKeepsTheRingUntilTheyLeave) {
  ASSERT_TRUE(connect_pair());
  Bytes down = random_bytes(100, 23);
  ASSERT_EQ(server->send(down.data(), down.size(), false), 100);
  run_until([&] { return client->poll() & libos::inet::kPollIn; });  // unread: close resets
  Bytes payload;
  wire.tap = [&](bool to_b, std::vector<uint8_t>& f) {
    if (auto seg = parse_sent(f); seg && to_b) payload.insert(payload.end(), seg->data.begin(), seg->data.end());
    return true;
  };
  Bytes up = random_bytes(20000, 24);
  ASSERT_EQ(client->send(up.data(), up.size(), false), 20000);
  uint64_t pending = wire.dev_a.gather_frames;
  ASSERT_GT(pending, 0u);
  client->close();  // RST, and the ring goes
  client = nullptr;
  EXPECT_GE(wire.dev_a.retired, 1u);
  run_until([] { return false; }, 100'000'000);
  ASSERT_GE(payload.size(), 1024u);
  ASSERT_LE(payload.size(), up.size());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), up.begin()));
}

TEST(OffloadConfig, SegmentationNeedsTheChecksumOffload) {
  WireEnd dev;
  auto c = config_of(kMacA, kIpA);
  c.offload_tso4 = true;  // without offload_csum
  libos::inet::Stack s(c, dev, test_random32);
  EXPECT_FALSE(s.config().offload_tso4);
}

}  // namespace
}  // namespace shoal::test
