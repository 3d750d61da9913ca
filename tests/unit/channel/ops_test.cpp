// channel_ops.h on its own: the functions both sides share.
#include <string.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/channel_ops.h>

namespace sabi = shoal::abi;

namespace {

struct Region {
  std::vector<uint8_t> bytes;
  sabi::ChannelView view{};
  Region(uint32_t slots, uint32_t ring) : bytes(sabi::channel_region_size(slots, ring)) {
    auto* h = reinterpret_cast<sabi::ChannelHeader*>(bytes.data());
    h->magic = sabi::kChannelMagic;
    h->version = sabi::kChannelVersion;
    h->slot_count = slots;
    h->ring_size = ring;
    h->data_offset = sabi::channel_data_offset(slots);
    h->region_size = bytes.size();
    EXPECT_TRUE(sabi::channel_view_from_header(&view, bytes.data(), bytes.size()));
  }
  sabi::ChannelHeader* header() { return sabi::channel_header(&view); }
};

TEST(ChannelOps, ViewFromHeaderChecksEveryField) {
  Region r(4, 4096);
  auto* h = r.header();
  sabi::ChannelView v;
  EXPECT_TRUE(sabi::channel_view_from_header(&v, r.bytes.data(), r.bytes.size()));
  EXPECT_FALSE(sabi::channel_view_from_header(&v, r.bytes.data(), r.bytes.size() - 1));
  EXPECT_FALSE(sabi::channel_view_from_header(&v, nullptr, r.bytes.size()));
  auto with = [&](auto mutate) {
    std::vector<uint8_t> copy = r.bytes;
    mutate(reinterpret_cast<sabi::ChannelHeader*>(copy.data()));
    return sabi::channel_view_from_header(&v, copy.data(), copy.size());
  };
  EXPECT_FALSE(with([](auto* x) { x->magic = 1; }));
  EXPECT_FALSE(with([](auto* x) { x->version = 2; }));
  EXPECT_FALSE(with([](auto* x) { x->slot_count = 5; }));
  EXPECT_FALSE(with([](auto* x) { x->ring_size = 4097; }));
  EXPECT_FALSE(with([](auto* x) { x->service_count = 65; }));
  EXPECT_FALSE(with([](auto* x) { x->data_offset = 0; }));
  EXPECT_FALSE(with([](auto* x) { x->region_size *= 2; }));
  EXPECT_EQ(h->slot_count, 4u);
}

TEST(ChannelOps, AccessorsStayInBounds) {
  Region r(4, 4096);
  EXPECT_NE(sabi::channel_slot(&r.view, 3), nullptr);
  EXPECT_EQ(sabi::channel_slot(&r.view, 4), nullptr);
  EXPECT_EQ(sabi::channel_slot(&r.view, 0xffffffffu), nullptr);
  EXPECT_EQ(sabi::channel_ring_data(&r.view, 4, sabi::kSideGuest), nullptr);
  uint8_t* last = sabi::channel_ring_data(&r.view, 3, sabi::kSideHost);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last + 4096, r.bytes.data() + r.bytes.size());
  EXPECT_EQ(sabi::channel_slot_index(&r.view, sabi::channel_slot(&r.view, 2)), 2u);
  auto e = sabi::channel_end(&r.view, 1, sabi::kSideHost);
  ASSERT_TRUE(e.valid);
  EXPECT_EQ(e.tx, &e.slot->to_guest);
  EXPECT_EQ(e.rx, &e.slot->to_host);
  EXPECT_EQ(e.tx_data, sabi::channel_ring_data(&r.view, 1, sabi::kSideGuest));
  EXPECT_FALSE(sabi::channel_end(&r.view, 9, sabi::kSideGuest).valid);
  sabi::ChannelView v;
  EXPECT_FALSE(sabi::channel_view_make(&v, r.bytes.data(), r.bytes.size() - 4096, 4, 4096));
}

TEST(ChannelOps, RingPartialWritesPeekAndWindows) {
  Region r(2, 4096);
  auto e = sabi::channel_end(&r.view, 0, sabi::kSideHost);
  auto g = sabi::channel_end(&r.view, 0, sabi::kSideGuest);
  std::string big(5000, 'x');
  EXPECT_EQ(sabi::ring_write(e.tx, e.tx_data, 4096, big.data(), big.size()), 4096);
  EXPECT_EQ(sabi::ring_space(e.tx, 4096), 0);
  EXPECT_EQ(sabi::ring_readable(g.rx, 4096), 4096);
  char buf[10];
  EXPECT_EQ(sabi::ring_peek(g.rx, g.rx_data, 4096, buf, 10, 4090), 6);
  EXPECT_EQ(sabi::ring_peek(g.rx, g.rx_data, 4096, buf, 10, 5000), 0);
  EXPECT_EQ(sabi::ring_consume(g.rx, 4096, 4097), sabi::kRingCorrupt);  // more than readable
  EXPECT_EQ(sabi::ring_consume(g.rx, 4096, 4000), 4000);
  // Zero-copy: the free window stops at the ring's end.
  uint8_t* w = nullptr;
  EXPECT_EQ(sabi::ring_write_window(e.tx, e.tx_data, 4096, &w), 4000);
  memcpy(w, "abc", 3);
  EXPECT_EQ(sabi::ring_produce(e.tx, 4096, 3), 3);
  EXPECT_EQ(sabi::ring_produce(e.tx, 4096, 5000), sabi::kRingCorrupt);
  const uint8_t* rd = nullptr;
  EXPECT_EQ(sabi::ring_read_window(g.rx, g.rx_data, 4096, &rd), 96);  // up to the end
  EXPECT_EQ(sabi::ring_consume(g.rx, 4096, 96), 96);
  EXPECT_EQ(sabi::ring_read_window(g.rx, g.rx_data, 4096, &rd), 3);  // wrapped
  EXPECT_EQ(memcmp(rd, "abc", 3), 0);
}

TEST(ChannelOps, SlotStateMachine) {
  Region r(2, 4096);
  auto* s = sabi::channel_slot(&r.view, 0);
  s->to_guest.head = 77;
  s->released = 3;
  ASSERT_TRUE(sabi::slot_claim(s));
  EXPECT_EQ(s->to_guest.head, 0u);  // claim zeroes the previous connection's fields
  EXPECT_EQ(s->released, 0u);
  EXPECT_EQ(s->service, sabi::kServiceNone);
  EXPECT_FALSE(sabi::slot_claim(s));
  EXPECT_FALSE(sabi::slot_accept(s));  // not published yet
  sabi::slot_publish(s);
  EXPECT_TRUE(sabi::slot_accept(s));
  EXPECT_FALSE(sabi::slot_cancel(s));
  EXPECT_FALSE(sabi::slot_refuse(s));
  sabi::slot_set_flags(s, sabi::kSideHost, sabi::kShutWrite);
  EXPECT_EQ(sabi::slot_flags(s, sabi::kSideHost), uint32_t{sabi::kShutWrite});
  EXPECT_EQ(sabi::slot_flags(s, sabi::kSideGuest), 0u);
  EXPECT_FALSE(sabi::slot_release(s, sabi::kSideHost));
  EXPECT_EQ(sabi::slot_state(s), uint32_t{sabi::kSlotOpen});
  EXPECT_TRUE(sabi::slot_release(s, sabi::kSideGuest));
  EXPECT_EQ(sabi::slot_state(s), uint32_t{sabi::kSlotFree});
  EXPECT_EQ(s->host_flags, 0u);
  EXPECT_EQ(s->released, 0u);
  // Refused path.
  ASSERT_TRUE(sabi::slot_claim(s));
  sabi::slot_publish(s);
  EXPECT_TRUE(sabi::slot_refuse(s));
  EXPECT_TRUE(sabi::slot_free_refused(s));
  EXPECT_EQ(sabi::slot_state(s), uint32_t{sabi::kSlotFree});
}

// A consumer kicks for freed room only if the producer may wait for it: the
// producer published head = (the tail it saw) + size, i.e. found the ring
// full, before or after this consumption (indices wrap modulo 2^32).
TEST(ChannelOps, ProducerMayWaitOnlyAfterAFullRing) {
  sabi::ChannelRing r{};
  constexpr uint32_t kSize = 4096;
  for (uint32_t tail_before : {0u, 1000u, 0xfffff000u}) {
    r.head = tail_before + 19;  // a response, the ring far from full
    EXPECT_FALSE(sabi::ring_producer_may_wait(&r, tail_before, kSize));
    r.head = tail_before + kSize - 1;
    EXPECT_FALSE(sabi::ring_producer_may_wait(&r, tail_before, kSize));
    r.head = tail_before + kSize;  // full, as the producer saw it before this consumption
    EXPECT_TRUE(sabi::ring_producer_may_wait(&r, tail_before, kSize));
    r.head = tail_before + kSize + 64;  // it saw this consumption and filled the ring again
    EXPECT_TRUE(sabi::ring_producer_may_wait(&r, tail_before, kSize));
  }
}

TEST(ChannelOps, KickOnlyWhenThePeerAnnouncedSleep) {
  Region r(2, 4096);
  auto* h = r.header();
  EXPECT_FALSE(sabi::channel_take_kick(h, sabi::kSideGuest));
  sabi::channel_announce_sleep(h, sabi::kSideGuest);
  EXPECT_TRUE(sabi::channel_take_kick(h, sabi::kSideGuest));
  EXPECT_FALSE(sabi::channel_take_kick(h, sabi::kSideGuest));  // taken
  sabi::channel_announce_sleep(h, sabi::kSideHost);
  sabi::channel_clear_sleep(h, sabi::kSideHost);
  EXPECT_FALSE(sabi::channel_take_kick(h, sabi::kSideHost));
  uint32_t before = sabi::channel_events(h, sabi::kSideGuest);
  sabi::channel_bump_events(h, sabi::kSideGuest);
  EXPECT_EQ(sabi::channel_events(h, sabi::kSideGuest), before + 1);
}

TEST(ChannelOps, ListenTableFillsUp) {
  Region r(2, 4096);
  auto* h = r.header();
  EXPECT_FALSE(sabi::channel_listen_add(h, 0));
  for (uint32_t p = 1; p <= sabi::kMaxListenPorts; ++p) EXPECT_TRUE(sabi::channel_listen_add(h, p));
  EXPECT_TRUE(sabi::channel_listen_add(h, 3));  // already there
  EXPECT_FALSE(sabi::channel_listen_add(h, 999));
  sabi::channel_listen_remove(h, 3);
  EXPECT_FALSE(sabi::channel_listening(h, 3));
  EXPECT_TRUE(sabi::channel_listen_add(h, 999));
}

}  // namespace
