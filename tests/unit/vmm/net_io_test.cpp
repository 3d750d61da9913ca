// The monitor's ring engine (net_io.hpp) against a fake link and a region in
// plain memory, playing the guest by hand: frames both ways, length checks,
// the notification protocol, a full rx ring, a blocked link, hostile indices,
// and the impairment queue.
#include <stdlib.h>
#include <string.h>

#include <deque>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/netdev_ops.h>

#include "devices/net/net_impair.hpp"
#include "devices/net/net_io.hpp"

using namespace shoal::vmm;
using namespace shoal::abi;

namespace {

struct FakeLink final : FrameLink {
  std::deque<std::vector<uint8_t>> inbound;   // frames the link will deliver
  std::deque<NetSlotMeta> inbound_meta;       // their metadata (default: plain)
  std::vector<std::vector<uint8_t>> sent;     // frames written to the link
  std::vector<NetSlotMeta> sent_meta;
  bool full = false;
  ssize_t receive(uint8_t* buf, size_t cap, NetSlotMeta* meta) override {
    if (inbound.empty()) return 0;
    auto f = std::move(inbound.front());
    inbound.pop_front();
    *meta = NetSlotMeta{};
    if (!inbound_meta.empty()) {
      *meta = inbound_meta.front();
      inbound_meta.pop_front();
    }
    size_t n = f.size() < cap ? f.size() : cap;  // a TAP truncates to the read size
    memcpy(buf, f.data(), n);
    return static_cast<ssize_t>(n);
  }
  Sent send(const uint8_t* frame, size_t len, const NetSlotMeta& meta) override {
    if (full) return Sent::full;
    sent.emplace_back(frame, frame + len);
    sent_meta.push_back(meta);
    return Sent::ok;
  }
};

std::vector<uint8_t> frame(size_t len, uint8_t tag) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(tag + i);
  return f;
}

struct Rig {
  std::unique_ptr<uint8_t, decltype(&free)> mem{static_cast<uint8_t*>(aligned_alloc(4096, kNetRegionSize)), &free};
  NetHeader* h = nullptr;
  FakeLink link;
  int wakes = 0;
  std::unique_ptr<NetIo> io;

  explicit Rig(uint32_t features = 0) {
    memset(mem.get(), 0, kNetRegionSize);
    h = reinterpret_cast<NetHeader*>(mem.get());
    net_header_init(h);
    h->features = features;
    io = std::make_unique<NetIo>(mem.get(), link, [this] { ++wakes; });
  }
  // The guest publishing one tx frame of len bytes (len as written, even
  // bogus: then it takes one slot).
  void guest_send(uint32_t len, uint8_t tag = 1, NetSlotMeta meta = {}) {
    uint32_t head = h->tx.head;
    uint32_t slots = len >= kNetMinFrame && len <= kNetMaxFrame ? net_slots_for(len) : 1;
    if (slots > net_slots_to_end(head)) {
      h->tx.meta[net_slot_of(head)] = NetSlotMeta{0, kNetFlagSkip, 0, 0, 0, 0, 0};
      head += net_slots_to_end(head);
    }
    if (len <= kNetMaxFrame) {
      auto f = frame(len, tag);
      memcpy(net_tx_slot(mem.get(), head), f.data(), len);
    }
    meta.len = len;
    h->tx.meta[net_slot_of(head)] = meta;
    h->tx.head = head + slots;
  }
  // The guest consuming up to n rx frames (skip entries pass silently);
  // returns their lengths.
  std::vector<uint32_t> guest_receive(uint32_t n) {
    std::vector<uint32_t> lens;
    while (n > 0 && h->rx.tail != h->rx.head) {
      const NetSlotMeta& m = h->rx.meta[net_slot_of(h->rx.tail)];
      if (m.flags & kNetFlagSkip) {
        h->rx.tail += net_slots_to_end(h->rx.tail);
        continue;
      }
      lens.push_back(m.len);
      h->rx.tail += net_slots_for(m.len);
      --n;
    }
    return lens;
  }
};

TEST(NetIo, TransmitsGuestFramesInOrder) {
  Rig r;
  r.guest_send(60, 1);
  r.guest_send(1514, 2);
  r.guest_send(14, 3);
  auto s = r.io->step(0);
  EXPECT_TRUE(s.progress);
  ASSERT_EQ(r.link.sent.size(), 3u);
  EXPECT_EQ(r.link.sent[0], frame(60, 1));
  EXPECT_EQ(r.link.sent[1], frame(1514, 2));
  EXPECT_EQ(r.link.sent[2], frame(14, 3));
  EXPECT_EQ(r.h->tx.tail, 3u);
  EXPECT_EQ(r.io->counters().tx_frames, 3u);
  EXPECT_EQ(r.io->counters().tx_bytes, 60u + 1514 + 14);
  EXPECT_FALSE(r.io->step(0).progress);  // nothing new
}

TEST(NetIo, DropsTransmitFramesWithBadLengths) {
  Rig r;
  for (uint32_t len : {0u, 13u, 1515u, 2048u, 0xffffffffu}) r.guest_send(len);
  r.guest_send(100, 9);
  r.io->step(0);
  ASSERT_EQ(r.link.sent.size(), 1u);
  EXPECT_EQ(r.link.sent[0], frame(100, 9));
  EXPECT_EQ(r.io->counters().tx_bad_len, 5u);
  EXPECT_EQ(r.h->tx.tail, 6u);
}

NetSlotMeta tso_meta(uint16_t mss) {
  NetSlotMeta m{};
  m.flags = kNetFlagCsumPartial;
  m.gso_type = kNetGsoTcpv4;
  m.gso_size = mss;
  m.csum_start = 34;
  m.csum_offset = 16;
  return m;
}

TEST(NetIo, TransmitsSuperFramesAcrossSlotsAndTheRingsEnd) {
  Rig r(kNetFeatureCsum | kNetFeatureTso4);
  // Start near the ring's end: the second 64 KiB frame cannot fit before it.
  r.h->tx.head = r.h->tx.tail = kNetSlots - 40;
  r.io = std::make_unique<NetIo>(r.mem.get(), r.link, [] {});
  r.guest_send(kNetMaxFrame, 1, tso_meta(1460));
  r.guest_send(60000, 2, tso_meta(1448));
  r.guest_send(60, 3);
  EXPECT_EQ(r.h->tx.head, kNetSlots + net_slots_for(60000) + 1);  // 7 slots skipped
  r.io->step(0);
  ASSERT_EQ(r.link.sent.size(), 3u);
  EXPECT_EQ(r.link.sent[0], frame(kNetMaxFrame, 1));
  EXPECT_EQ(r.link.sent[1], frame(60000, 2));
  EXPECT_EQ(r.link.sent[2], frame(60, 3));
  EXPECT_EQ(r.link.sent_meta[1].gso_size, 1448);
  EXPECT_EQ(r.link.sent_meta[1].csum_start, 34);
  EXPECT_EQ(r.h->tx.tail, r.h->tx.head);
  EXPECT_EQ(r.io->counters().tx_gso_frames, 2u);
}

TEST(NetIo, DropsTransmitMetadataItDidNotOffer) {
  Rig plain;  // no offloads announced: nothing but plain frames passes
  plain.guest_send(3000, 1, tso_meta(1460));
  NetSlotMeta csum = tso_meta(0);
  csum.gso_type = kNetGsoNone;
  plain.guest_send(100, 2, csum);
  plain.guest_send(100, 3);
  plain.io->step(0);
  ASSERT_EQ(plain.link.sent.size(), 1u);
  EXPECT_EQ(plain.link.sent[0], frame(100, 3));

  Rig r(kNetFeatureCsum | kNetFeatureTso4);
  auto bad = [](auto mutate) {
    NetSlotMeta m = tso_meta(1460);
    mutate(m);
    return m;
  };
  r.guest_send(3000, 1, bad([](NetSlotMeta& m) { m.gso_size = 0; }));
  r.guest_send(3000, 1, bad([](NetSlotMeta& m) { m.gso_type = 4; }));  // TCPv6: not offered
  r.guest_send(3000, 1, bad([](NetSlotMeta& m) { m.flags = 0; }));     // TSO without a partial checksum
  r.guest_send(3000, 1, bad([](NetSlotMeta& m) { m.flags |= kNetFlagDataValid; }));
  r.guest_send(3000, 1, bad([](NetSlotMeta& m) { m.csum_start = 2990; }));       // field past the frame
  r.guest_send(3000, 1, bad([](NetSlotMeta& m) { m.csum_start = 4; }));          // inside the Ethernet header
  r.guest_send(3000, 1, bad([](NetSlotMeta& m) { m.gso_type = kNetGsoNone; }));  // too long for one frame
  r.guest_send(3000, 9, tso_meta(1460));
  r.io->step(0);
  ASSERT_EQ(r.link.sent.size(), 1u);
  EXPECT_EQ(r.link.sent[0], frame(3000, 9));
  // A bad frame's span is unknown: the monitor steps one slot at a time,
  // and each 2-slot frame's second slot (no metadata) is dropped as well.
  EXPECT_EQ(r.io->counters().tx_bad_len, 14u);
  EXPECT_EQ(r.h->tx.tail, r.h->tx.head);
}

TEST(NetIo, DropsFramesClaimingUnpublishedSlots) {
  Rig r(kNetFeatureCsum | kNetFeatureTso4);
  r.guest_send(5000, 1, tso_meta(1460));
  r.h->tx.head = 1;  // the frame needs 3 slots, only 1 is published
  r.io->step(0);
  EXPECT_TRUE(r.link.sent.empty());
  EXPECT_EQ(r.io->counters().tx_bad_len, 1u);
  // A skip entry that is not followed by the ring's start: dropped as well.
  r.h->tx.meta[1] = NetSlotMeta{0, kNetFlagSkip, 0, 0, 0, 0, 0};
  r.h->tx.head = 2;
  r.io->step(0);
  EXPECT_EQ(r.io->counters().tx_bad_len, 2u);
  EXPECT_EQ(r.h->tx.tail, 2u);
}

TEST(NetIo, DeliversSuperFramesWithTheirMetadata) {
  Rig r(kNetFeatureCsum | kNetFeatureTso4);
  for (int i = 0; i < 20; ++i) {
    r.link.inbound.push_back(frame(kNetMaxFrame, static_cast<uint8_t>(i)));
    r.link.inbound_meta.push_back(tso_meta(1448));
  }
  r.link.inbound_meta[0].flags = kNetFlagDataValid;  // TSO without a partial checksum: dropped
  r.io->step(0);
  EXPECT_EQ(r.io->counters().rx_bad_len, 1u);
  // 512 slots hold 15 frames of 33 slots; the 16th waits for room.
  EXPECT_EQ(r.h->rx.head, 15u * 33);
  EXPECT_EQ(r.h->rx.producer_waiting, 1u);
  EXPECT_EQ(r.h->rx.meta[33].len, kNetMaxFrame);
  EXPECT_EQ(r.h->rx.meta[33].gso_type, kNetGsoTcpv4);
  EXPECT_EQ(r.h->rx.meta[33].gso_size, 1448);
  EXPECT_EQ(r.h->rx.meta[33].flags, kNetFlagCsumPartial);
  EXPECT_EQ(r.h->rx.meta[33].csum_start, 34);
  EXPECT_EQ(memcmp(net_rx_slot(r.mem.get(), 33), frame(kNetMaxFrame, 2).data(), kNetMaxFrame), 0);
  // 116 slots free, 17 of them before the ring's end: a skip entry there,
  // then three frames from slot 0 on fill the ring exactly.
  EXPECT_EQ(r.guest_receive(3).size(), 3u);
  r.io->step(0);
  EXPECT_EQ(r.h->rx.meta[495].flags, kNetFlagSkip);
  EXPECT_EQ(memcmp(net_rx_slot(r.mem.get(), 0), frame(kNetMaxFrame, 16).data(), kNetMaxFrame), 0);
  EXPECT_EQ(memcmp(net_rx_slot(r.mem.get(), 33), frame(kNetMaxFrame, 17).data(), kNetMaxFrame), 0);
  EXPECT_EQ(net_slot_of(r.h->rx.head), 99u);
  EXPECT_EQ(r.guest_receive(100).size(), 15u);
  r.io->step(0);
  EXPECT_EQ(r.guest_receive(100).size(), 1u);
  EXPECT_EQ(r.io->counters().rx_frames, 19u);
  EXPECT_EQ(r.io->counters().rx_gso_frames, 19u);
  EXPECT_EQ(r.h->rx.producer_waiting, 0u);
}

TEST(NetIo, PassesChecksumFlagsOnlyWithTheOffload) {
  Rig r(kNetFeatureCsum | kNetFeatureTso4);
  NetSlotMeta valid{};
  valid.flags = kNetFlagDataValid;
  r.link.inbound.push_back(frame(60, 1));
  r.link.inbound_meta.push_back(valid);
  r.link.inbound.push_back(frame(1515, 1));  // too long without GSO
  r.link.inbound_meta.push_back(valid);
  r.io->step(0);
  EXPECT_EQ(r.h->rx.head, 1u);
  EXPECT_EQ(r.h->rx.meta[0].flags, kNetFlagDataValid);
  EXPECT_EQ(r.io->counters().rx_bad_len, 1u);
}

TEST(NetIo, StripsDataValidWithoutTheChecksumOffload) {
  Rig r;
  NetSlotMeta valid{};
  valid.flags = kNetFlagDataValid;
  r.link.inbound.push_back(frame(60, 1));
  r.link.inbound_meta.push_back(valid);
  r.io->step(0);
  EXPECT_EQ(r.h->rx.head, 1u);
  EXPECT_EQ(r.h->rx.meta[0].flags, 0);
}

TEST(NetIo, ResetsATransmitRingWithAnImpossibleHead) {
  Rig r;
  r.h->tx.head = kNetSlots + 1;  // more frames than slots: garbage
  r.io->step(0);
  EXPECT_TRUE(r.link.sent.empty());
  EXPECT_EQ(r.io->counters().ring_resets, 1u);
  EXPECT_EQ(r.h->tx.tail, kNetSlots + 1);
  // The ring works again from the guest's head on.
  r.guest_send(64, 4);
  r.io->step(0);
  ASSERT_EQ(r.link.sent.size(), 1u);
  // A head behind the tail wraps to a huge count: reset too.
  r.h->tx.head = r.h->tx.tail - 1;
  r.io->step(0);
  EXPECT_EQ(r.io->counters().ring_resets, 2u);
  EXPECT_EQ(r.link.sent.size(), 1u);
}

TEST(NetIo, BlockedLinkRetriesTheSameFrame) {
  Rig r;
  r.guest_send(60, 1);
  r.guest_send(61, 2);
  r.link.full = true;
  auto s = r.io->step(0);
  EXPECT_TRUE(s.tx_blocked);
  EXPECT_EQ(r.h->tx.tail, 0u);
  r.link.full = false;
  s = r.io->step(0);
  EXPECT_FALSE(s.tx_blocked);
  ASSERT_EQ(r.link.sent.size(), 2u);
  EXPECT_EQ(r.link.sent[0], frame(60, 1));
}

TEST(NetIo, WakesAGuestWaitingForTransmitRoom) {
  Rig r;
  r.guest_send(60);
  r.io->step(0);
  EXPECT_EQ(r.wakes, 0);
  r.h->tx.producer_waiting = 1;
  r.guest_send(60);
  r.io->step(0);
  EXPECT_EQ(r.wakes, 1);
}

TEST(NetIo, DeliversLinkFramesAndKicksOnlyASleepingGuest) {
  Rig r;
  r.link.inbound.push_back(frame(42, 7));
  auto s = r.io->step(0);
  EXPECT_TRUE(s.progress);
  EXPECT_TRUE(s.rx_room);
  EXPECT_EQ(r.h->rx.head, 1u);
  EXPECT_EQ(r.h->rx.meta[0].len, 42u);
  EXPECT_EQ(memcmp(net_rx_slot(r.mem.get(), 0), frame(42, 7).data(), 42), 0);
  EXPECT_EQ(r.wakes, 0);  // the guest polls: no kick
  r.h->rx.consumer_sleeping = 1;
  r.link.inbound.push_back(frame(60, 8));
  r.link.inbound.push_back(frame(61, 9));
  r.io->step(0);
  EXPECT_EQ(r.h->rx.head, 3u);
  EXPECT_EQ(r.wakes, 1);  // one kick per batch
  r.io->step(0);
  EXPECT_EQ(r.wakes, 1);  // nothing published: no kick
}

TEST(NetIo, DropsReceivedFramesWithBadLengths) {
  Rig r;
  r.link.inbound.push_back(frame(13, 1));
  r.link.inbound.push_back(frame(1515, 2));  // longer than a frame: seen as 1515 and dropped
  r.link.inbound.push_back(frame(9000, 3));  // a jumbo frame, truncated by the read: dropped
  r.link.inbound.push_back(frame(1514, 4));
  r.io->step(0);
  EXPECT_EQ(r.h->rx.head, 1u);
  EXPECT_EQ(r.h->rx.meta[0].len, 1514u);
  EXPECT_EQ(r.io->counters().rx_bad_len, 3u);
}

TEST(NetIo, FullReceiveRingWaitsForTheGuestsKick) {
  Rig r;
  for (uint32_t i = 0; i < kNetSlots + 5; ++i) r.link.inbound.push_back(frame(60, static_cast<uint8_t>(i)));
  auto s = r.io->step(0);
  EXPECT_EQ(r.h->rx.head, kNetSlots);          // one ring's worth per pass
  s = r.io->step(0);
  EXPECT_FALSE(s.rx_room);                     // stop reading the link
  EXPECT_EQ(r.h->rx.producer_waiting, 1u);     // and ask the guest for a kick
  EXPECT_EQ(r.link.inbound.size(), 4u);        // one frame held aside
  EXPECT_EQ(r.io->counters().rx_ring_full, 1u);
  s = r.io->step(0);
  EXPECT_FALSE(s.progress);
  // The guest frees two slots: the held frame goes first, then one more.
  EXPECT_EQ(r.guest_receive(2).size(), 2u);
  s = r.io->step(0);
  EXPECT_EQ(r.h->rx.head, kNetSlots + 2);
  EXPECT_EQ(r.h->rx.meta[net_slot_of(kNetSlots)].len, 60u);
  EXPECT_EQ(net_rx_slot(r.mem.get(), kNetSlots)[0], static_cast<uint8_t>(kNetSlots));  // in order
  EXPECT_EQ(r.guest_receive(kNetSlots).size(), kNetSlots);
  s = r.io->step(0);
  EXPECT_TRUE(s.rx_room);
  EXPECT_EQ(r.h->rx.producer_waiting, 0u);
  EXPECT_EQ(r.h->rx.head, kNetSlots + 5);
  EXPECT_EQ(r.io->counters().rx_frames, kNetSlots + 5);
}

TEST(NetIo, ResetsAReceiveRingWithAnImpossibleTail) {
  Rig r;
  r.link.inbound.push_back(frame(60, 1));
  r.io->step(0);
  r.h->rx.tail = 1000;  // ahead of head: garbage
  r.link.inbound.push_back(frame(60, 2));
  r.io->step(0);
  EXPECT_EQ(r.io->counters().ring_resets, 1u);
  EXPECT_EQ(r.h->rx.head, 1001u);  // restarted at the guest's tail
  EXPECT_EQ(r.h->rx.tail, 1000u);  // the guest's word is not written
}

TEST(NetIo, SleepHandshake) {
  Rig r;
  EXPECT_TRUE(r.io->prepare_sleep());
  EXPECT_EQ(r.h->tx.consumer_sleeping, 1u);
  r.io->sleep_done();
  EXPECT_EQ(r.h->tx.consumer_sleeping, 0u);
  r.guest_send(60);  // published before the re-check: do not sleep
  EXPECT_FALSE(r.io->prepare_sleep());
  EXPECT_EQ(r.h->tx.consumer_sleeping, 0u);
}

// Whatever the guest writes into its words, step() returns, moves at most a
// ring's worth, and keeps its own invariants.
TEST(NetIo, HostileGuestWordsNeverBreakTheMonitor) {
  Rig r(kNetFeatureCsum | kNetFeatureTso4);
  std::mt19937 rng(1234);
  for (int round = 0; round < 20000; ++round) {
    switch (rng() % 6) {
      case 0: r.h->tx.head = rng(); break;
      case 1: r.h->rx.tail = rng(); break;
      case 2: {
        NetSlotMeta& m = r.h->tx.meta[rng() % kNetSlots];
        m.len = rng() % 4 == 0 ? rng() : rng() % 70000;
        if (rng() % 2) m.flags = static_cast<uint8_t>(rng());
        if (rng() % 2) m.gso_type = static_cast<uint8_t>(rng() % 3);
        if (rng() % 2) m.gso_size = static_cast<uint16_t>(rng());
        if (rng() % 2) m.csum_start = static_cast<uint16_t>(rng() % 100);
        if (rng() % 2) m.csum_offset = static_cast<uint16_t>(rng() % 100);
        break;
      }
      case 3: r.h->tx.head = r.h->tx.tail + rng() % (kNetSlots + 2); break;
      case 4: r.h->rx.tail = r.h->rx.head - rng() % (kNetSlots + 2); break;
      case 5: r.link.inbound.push_back(frame(rng() % 1600, 0)); break;
    }
    r.h->rx.consumer_sleeping = rng() & 1;
    r.io->step(round);
    ASSERT_LE(r.link.sent.size(), static_cast<size_t>(kNetSlots));  // one ring's worth per step
    for (size_t i = 0; i < r.link.sent.size(); ++i) {
      const auto& f = r.link.sent[i];
      ASSERT_TRUE(f.size() >= kNetMinFrame && f.size() <= kNetMaxFrame);
      ASSERT_TRUE(net_meta_ok(r.link.sent_meta[i], kNetFeatureCsum | kNetFeatureTso4));
      ASSERT_EQ(r.link.sent_meta[i].len, f.size());
    }
    r.link.sent.clear();
    r.link.sent_meta.clear();
    ASSERT_LE(r.link.inbound.size(), 20000u);
  }
}

// Gather frames (kNetFlagGather): one slot with the head and spans of
// guest memory; the monitor joins them, checked against guest memory.
struct GatherRig : Rig {
  std::vector<uint8_t> guest = std::vector<uint8_t>(1 << 20);
  GuestMemory gm = GuestMemory::wrap(guest.data(), guest.size());
  GatherRig() : Rig(kNetFeatureCsum | kNetFeatureTso4) {
    for (size_t i = 0; i < guest.size(); ++i) guest[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
    io->enable_gather(&gm);
  }
  // Publishes one gather slot: head_len bytes of head (tag), the spans given.
  void send_gather(uint32_t head_len, std::vector<NetSpan> spans, uint32_t len = 0, NetSlotMeta meta = tso_meta(1448),
                   uint32_t count = 0) {
    uint32_t head = h->tx.head;
    auto* g = reinterpret_cast<NetGather*>(net_tx_slot(mem.get(), head));
    *g = NetGather{};
    g->head_len = head_len;
    g->spans = count != 0 ? count : static_cast<uint32_t>(spans.size());
    uint64_t total = head_len;
    for (size_t i = 0; i < spans.size() && i < kNetGatherSpans; ++i) {
      g->span[i] = spans[i];
      total += spans[i].len;
    }
    auto f = frame(head_len < kNetGatherHeadMax ? head_len : kNetGatherHeadMax, 5);
    memcpy(g->head, f.data(), f.size());
    meta.flags |= kNetFlagGather;
    meta.len = len != 0 ? len : static_cast<uint32_t>(total);
    h->tx.meta[net_slot_of(head)] = meta;
    h->tx.head = head + 1;
  }
  std::vector<uint8_t> expected(uint32_t head_len, std::vector<NetSpan> spans) {
    auto out = frame(head_len, 5);
    for (auto& sp : spans) out.insert(out.end(), guest.begin() + sp.addr, guest.begin() + sp.addr + sp.len);
    return out;
  }
};

TEST(NetIoGather, AnnouncedOnlyWithTheChecksumOffload) {
  GatherRig r;
  EXPECT_NE(r.h->features & kNetFeatureGather, 0u);
  Rig plain;
  std::vector<uint8_t> guest(4096);
  GuestMemory gm = GuestMemory::wrap(guest.data(), guest.size());
  plain.io->enable_gather(&gm);
  EXPECT_EQ(plain.h->features & kNetFeatureGather, 0u);
}

TEST(NetIoGather, JoinsTheHeadAndGuestMemorySpans) {
  GatherRig r;
  std::vector<NetSpan> spans = {{4096, 30000, 0}, {100, 2000, 0}};
  r.send_gather(54, spans);
  r.guest_send(60, 3);  // a plain frame after it: the gather frame took one slot
  r.io->step(0);
  ASSERT_EQ(r.link.sent.size(), 2u);
  EXPECT_EQ(r.link.sent[0], r.expected(54, spans));
  EXPECT_EQ(r.link.sent_meta[0].flags, kNetFlagCsumPartial);  // gather is the ring's business, not the TAP's
  EXPECT_EQ(r.link.sent_meta[0].gso_size, 1448);
  EXPECT_EQ(r.link.sent[1], frame(60, 3));
  EXPECT_EQ(r.h->tx.tail, 2u);
  EXPECT_EQ(r.io->counters().tx_gather_frames, 1u);
  EXPECT_EQ(r.io->counters().tx_bytes, 54u + 32000 + 60);
}

TEST(NetIoGather, DropsSlotsAndSpansThatFailTheChecks) {
  GatherRig r;
  uint64_t end = r.guest.size();
  NetSlotMeta no_csum = tso_meta(1448);
  no_csum.flags = 0;
  no_csum.gso_type = kNetGsoNone;
  NetSlotMeta far_csum = tso_meta(1448);
  far_csum.csum_start = 60;  // the field past a 54-byte head
  r.send_gather(54, {{end - 10, 100, 0}});                   // past guest memory
  r.send_gather(54, {{~0ull - 5, 100, 0}});                  // wraps
  r.send_gather(54, {{0, 100, 0}}, 0, tso_meta(1448), 5);   // more spans than a slot holds
  r.send_gather(54, {{0, 100, 0}}, 0, tso_meta(1448), 0xffffffffu);
  r.send_gather(54, {{0, 100, 0}}, 54 + 99);                 // lengths do not add up
  r.send_gather(54, {{0, 0, 0}}, 54 + 1);                    // an empty span
  r.send_gather(300, {{0, 100, 0}});                         // head larger than the slot's
  r.send_gather(10, {{0, 100, 0}});                          // head shorter than Ethernet's
  r.send_gather(54, {{0, 100, 0}}, 0, far_csum);
  r.send_gather(54, {{0, 100, 0}}, 0, no_csum);              // gather needs a partial checksum
  r.send_gather(54, {{4096, 1000, 0}});                       // good
  r.io->step(0);
  ASSERT_EQ(r.link.sent.size(), 1u);
  EXPECT_EQ(r.link.sent[0], r.expected(54, {{4096, 1000, 0}}));
  EXPECT_EQ(r.io->counters().tx_bad_gather, 9u);
  EXPECT_EQ(r.io->counters().tx_bad_len, 1u);  // the metadata check already refuses no_csum
  EXPECT_EQ(r.h->tx.tail, r.h->tx.head);
}

TEST(NetIoGather, RefusedWhenNotAnnounced) {
  Rig r(kNetFeatureCsum | kNetFeatureTso4);  // no enable_gather
  NetSlotMeta m = tso_meta(1448);
  m.flags |= kNetFlagGather;
  m.len = 1000;
  r.h->tx.meta[0] = m;
  r.h->tx.head = 1;
  r.io->step(0);
  EXPECT_TRUE(r.link.sent.empty());
  EXPECT_EQ(r.io->counters().tx_bad_len, 1u);
}

TEST(NetIoGather, HostileGatherSlotsNeverBreakTheMonitor) {
  GatherRig r;
  std::mt19937_64 rng(4321);
  uint64_t size = r.guest.size();
  for (int round = 0; round < 20000; ++round) {
    uint32_t slot = static_cast<uint32_t>(rng() % kNetSlots);
    auto* g = reinterpret_cast<NetGather*>(net_tx_slot(r.mem.get(), slot));
    g->head_len = rng() % 4 == 0 ? static_cast<uint32_t>(rng()) : static_cast<uint32_t>(rng() % 300);
    g->spans = rng() % 4 == 0 ? static_cast<uint32_t>(rng()) : static_cast<uint32_t>(rng() % 6);
    uint64_t total = g->head_len;
    for (auto& sp : g->span) {
      // Addresses around guest memory's end and beyond, some wrapping.
      sp.addr = rng() % 3 == 0 ? rng() : size - rng() % 70000;
      sp.len = rng() % 3 == 0 ? static_cast<uint32_t>(rng()) : static_cast<uint32_t>(rng() % 70000);
      total += sp.len;
    }
    NetSlotMeta& m = r.h->tx.meta[slot];
    m = tso_meta(static_cast<uint16_t>(64 + rng() % 1400));
    m.flags = static_cast<uint8_t>(rng() % 2 ? kNetFlagGather | kNetFlagCsumPartial : rng());
    m.len = rng() % 2 ? static_cast<uint32_t>(total) : static_cast<uint32_t>(rng() % 70000);
    if (rng() % 2) m.gso_type = static_cast<uint8_t>(rng() % 3);
    r.h->tx.head = r.h->tx.tail + static_cast<uint32_t>(rng() % (kNetSlots + 2));
    r.io->step(round);
    for (size_t i = 0; i < r.link.sent.size(); ++i) {
      const auto& f = r.link.sent[i];
      ASSERT_TRUE(f.size() >= kNetMinFrame && f.size() <= kNetMaxFrame);
      ASSERT_EQ(r.link.sent_meta[i].len, f.size());
      ASSERT_EQ(r.link.sent_meta[i].flags & kNetFlagGather, 0);  // never passed on to the TAP
    }
    r.link.sent.clear();
    r.link.sent_meta.clear();
  }
  EXPECT_GT(r.io->counters().tx_bad_gather, 0u);
}

TEST(NetImpair, LossAllDropsEverything) {
  NetImpairQueue q({1000000, 0, 0, {}}, 1);
  auto f = frame(60, 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(q.offer(f.data(), 60, 0), NetImpairQueue::Verdict::lost);
  uint32_t len;
  EXPECT_EQ(q.peek(0, &len), nullptr);
}

TEST(NetImpair, LossRateIsRoughlyRight) {
  NetImpairQueue q({100000, 0, 0, {}}, 99);  // 10 %
  auto f = frame(60, 0);
  int lost = 0;
  for (int i = 0; i < 10000; ++i) {
    if (q.offer(f.data(), 60, 0) == NetImpairQueue::Verdict::lost) ++lost;
    uint32_t len;
    while (q.peek(0, &len)) q.pop();
  }
  EXPECT_GT(lost, 800);
  EXPECT_LT(lost, 1200);
}

TEST(NetImpair, DelayHoldsFramesThenReleasesInOrder) {
  NetImpairQueue q({0, 20, 0, {}}, 1);
  for (uint8_t i = 0; i < 3; ++i) {
    auto f = frame(60, i);
    EXPECT_EQ(q.offer(f.data(), 60, 1000000ull * i), NetImpairQueue::Verdict::queued);
  }
  uint32_t len = 0;
  EXPECT_EQ(q.peek(19999999, &len), nullptr);
  EXPECT_EQ(q.next_due(), 20000000u);
  const uint8_t* p = q.peek(20000000, &len);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(len, 60u);
  EXPECT_EQ(p[0], 0);
  q.pop();
  EXPECT_EQ(q.peek(20000000, &len), nullptr);  // the next is due 1 ms later
  ASSERT_NE(q.peek(22000000, &len), nullptr);
  EXPECT_EQ(q.peek(22000000, &len)[0], 1);
  q.pop();
  EXPECT_EQ(q.peek(22000000, &len)[0], 2);
  q.pop();
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.next_due(), UINT64_MAX);
}

TEST(NetImpair, ReorderedFramesOvertakeHeldOnes) {
  NetImpairQueue q({0, 50, 1000000, {}}, 1);  // reorder 100 %: every frame skips the delay
  auto a = frame(60, 1);
  q.offer(a.data(), 60, 0);
  uint32_t len;
  ASSERT_NE(q.peek(0, &len), nullptr);
  // Mixed: with 50 % reordering some frames go at once, the others wait.
  NetImpairQueue m({0, 50, 500000, {}}, 7);
  int now = 0, held = 0;
  for (uint8_t i = 0; i < 100; ++i) {
    auto f = frame(60, i);
    m.offer(f.data(), 60, 0);
    if (m.peek(0, &len)) {
      ++now;
      m.pop();
    } else {
      ++held;
    }
  }
  EXPECT_GT(now, 30);
  EXPECT_GT(held, 30);
  EXPECT_EQ(m.size(), static_cast<uint32_t>(held));
}

TEST(NetImpair, QueueIsBounded) {
  NetImpairQueue q({0, 1000, 0, {}}, 1);
  auto f = frame(60, 0);
  for (uint32_t i = 0; i < kImpairLimit; ++i) ASSERT_EQ(q.offer(f.data(), 60, 0), NetImpairQueue::Verdict::queued);
  EXPECT_EQ(q.offer(f.data(), 60, 0), NetImpairQueue::Verdict::queue_full);
  EXPECT_EQ(q.size(), kImpairLimit);
}

TEST(NetImpair, SameSeedSameSequence) {
  auto run = [](uint64_t seed) {
    NetImpairQueue q({300000, 0, 0, {}}, seed);
    auto f = frame(60, 0);
    std::vector<int> v;
    for (int i = 0; i < 64; ++i) {
      v.push_back(static_cast<int>(q.offer(f.data(), 60, 0)));
      uint32_t len;
      while (q.peek(0, &len)) q.pop();
    }
    return v;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(NetIoImpaired, DelayedFramesReachTheRingWhenDue) {
  Rig r;
  r.io->set_impairment({0, 10, 0, {}}, 1);
  r.link.inbound.push_back(frame(60, 1));
  auto s = r.io->step(1000);
  EXPECT_EQ(r.h->rx.head, 0u);
  EXPECT_EQ(s.next_due, 1000u + 10000000);
  s = r.io->step(10001000);
  EXPECT_EQ(r.h->rx.head, 1u);
  EXPECT_EQ(s.next_due, UINT64_MAX);
}

TEST(NetIoImpaired, LossCountsDrops) {
  Rig r;
  r.io->set_impairment({1000000, 0, 0, {}}, 1);
  for (int i = 0; i < 10; ++i) r.link.inbound.push_back(frame(60, 1));
  r.io->step(0);
  EXPECT_EQ(r.h->rx.head, 0u);
  EXPECT_EQ(r.io->counters().impair_lost, 10u);
}

}  // namespace

namespace {

// The header the monitor writes is the one the guest driver accepts
// (netdev_ops.h, shared); anything else is refused with a reason.
TEST(NetHeader, ValidationMatchesTheWriter) {
  auto h = std::make_unique<NetHeader>();
  net_header_init(h.get());
  EXPECT_EQ(net_header_problem(h.get(), kNetRegionSize), nullptr);
  EXPECT_EQ(h->rx.head, 0u);
  EXPECT_EQ(h->tx.consumer_sleeping, 0u);
  EXPECT_NE(net_header_problem(h.get(), kNetRegionSize - 4096), nullptr);
  EXPECT_NE(net_header_problem(h.get(), 0), nullptr);
  auto broken = [&](auto mutate) {
    auto copy = std::make_unique<NetHeader>(*h);
    mutate(*copy);
    return net_header_problem(copy.get(), kNetRegionSize);
  };
  EXPECT_NE(broken([](NetHeader& x) { x.magic ^= 1; }), nullptr);
  EXPECT_NE(broken([](NetHeader& x) { x.version = 1; }), nullptr);
  EXPECT_NE(broken([](NetHeader& x) { x.slots = 1024; }), nullptr);
  EXPECT_NE(broken([](NetHeader& x) { x.slot_size = 4096; }), nullptr);
  EXPECT_EQ(broken([](NetHeader& x) { x.rx.head = 77; }), nullptr);  // ring words are not geometry
}

TEST(NetHeader, RingArithmeticWraps) {
  EXPECT_EQ(net_ring_used(5, 0xfffffffeu), 7u);
  EXPECT_TRUE(net_ring_sane(5, 0xfffffffeu));
  EXPECT_TRUE(net_ring_sane(kNetSlots, 0));
  EXPECT_FALSE(net_ring_sane(kNetSlots + 1, 0));
  EXPECT_FALSE(net_ring_sane(0, 1));  // tail ahead of head
  EXPECT_EQ(net_slot_of(kNetSlots + 3), 3u);
  std::vector<uint8_t> region(kNetRegionSize);
  uint8_t* base = region.data();
  EXPECT_EQ(net_rx_slot(base, 1) - base, static_cast<ptrdiff_t>(kNetRxOffset + kNetSlotSize));
  EXPECT_EQ(net_tx_slot(base, kNetSlots) - base, static_cast<ptrdiff_t>(kNetTxOffset));
}

}  // namespace
