// A guest that breaks the protocol: impossible ring indices, states moved
// behind the host's back, garbage everywhere. The host library must report
// resets on the guest's own connections and keep working, never crash.
#include <errno.h>

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guest_sim.hpp"

using namespace shoal;
using namespace shoal::pool;
using namespace shoal::pool::test;

namespace {

Channel make(uint32_t slots = 8) {
  ChannelConfig c;
  c.slot_count = slots;
  c.ring_size = 4096;
  auto r = Channel::create(c);
  EXPECT_TRUE(r.ok());
  return std::move(r.value());
}

uint32_t open_accepted(Channel& ch, GuestSim& g) {
  auto slot = ch.open(8080, 0, 0);
  EXPECT_TRUE(slot.ok());
  EXPECT_TRUE(g.accept(*slot));
  return *slot;
}

TEST(ChannelHostile, HeadBeyondTheRingIsAReset) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  g.slot(s)->to_host.head = g.slot(s)->to_host.tail + 4097;
  EXPECT_TRUE(ch.status(s).peer_reset);
  uint8_t buf[64];
  auto r = ch.read(s, buf);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ECONNRESET);
  // Sticky: fixing the index does not revive the connection.
  g.slot(s)->to_host.head = g.slot(s)->to_host.tail;
  EXPECT_EQ(ch.read(s, buf).error().code, ECONNRESET);
  ch.close(s);
  g.release(s);
  // Other connections are unaffected.
  uint32_t t = open_accepted(ch, g);
  ASSERT_EQ(ch.write(t, bytes_of("fine")).value(), 4u);
  EXPECT_EQ(g.read(t), "fine");
}

TEST(ChannelHostile, TailBeyondTheRingIsAReset) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  g.slot(s)->to_guest.tail = 12345678;  // "consumed" bytes never written
  auto w = ch.write(s, bytes_of("x"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ECONNRESET);
}

TEST(ChannelHostile, HostIndexOverwrittenByTheGuest) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  // The host's own head in shared memory: a guest can move it anywhere; the
  // write stays inside the ring whatever the value.
  for (uint32_t head : {0u, 4095u, 4096u, 0xffffffffu, 0x80000000u}) {
    g.slot(s)->to_guest.head = head;
    g.slot(s)->to_guest.tail = head - 10;
    auto w = ch.write(s, bytes_of(std::string(5000, 'z')));
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(*w, 4096u - 10u);
  }
}

TEST(ChannelHostile, StateMovedBehindTheHostsBack) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  // The guest frees an open host slot without releasing.
  g.slot(s)->state = sabi::kSlotFree;
  EXPECT_TRUE(ch.status(s).peer_reset);
  EXPECT_EQ(ch.write(s, bytes_of("x")).error().code, ECONNRESET);
  ch.close(s);  // nothing to release: the shadow simply forgets it
  EXPECT_EQ(ch.slots_in_use(), 0u);
  EXPECT_TRUE(ch.open(8080, 0, 0).ok());

  // The guest withdraws a host-opened connection (only the host may).
  auto t = ch.open(8080, 0, 0).value();
  g.slot(t)->state = sabi::kSlotClaimed;
  EXPECT_TRUE(ch.status(t).peer_reset);
  ch.close(t);
  EXPECT_EQ(ch.status(t).state, ConnState::unused);
}

TEST(ChannelHostile, GuestHoldsEveryHostSlot) {
  Channel ch = make(4);
  GuestSim g(ch);
  for (uint32_t i = 0; i < 2; ++i) g.slot(i)->state = sabi::kSlotOpen;
  auto r = ch.open(8080, 0, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EAGAIN);
  g.slot(1)->state = sabi::kSlotFree;
  EXPECT_EQ(ch.open(8080, 0, 0).value(), 1u);
}

TEST(ChannelHostile, ReleasedBitsSetByTheGuest) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  // The guest sets both bits (ours included) without freeing the slot: our
  // close still completes the release instead of stranding the slot.
  g.slot(s)->released = sabi::kReleasedHost | sabi::kReleasedGuest;
  ch.close(s);
  EXPECT_EQ(sabi::slot_state(g.slot(s)), uint32_t{sabi::kSlotFree});
  EXPECT_EQ(ch.slots_in_use(), 0u);
}

TEST(ChannelHostile, HeaderGarbageDoesNotChangeTheGeometry) {
  Channel ch = make();
  GuestSim g(ch);
  g.header()->slot_count = 100000;
  g.header()->ring_size = 3;
  g.header()->data_offset = ~0ull;
  g.header()->region_size = 1;
  g.header()->service_count = 999;
  EXPECT_EQ(ch.slot_count(), 8u);
  EXPECT_EQ(ch.ring_size(), 4096u);
  uint32_t s = open_accepted(ch, g);
  ASSERT_EQ(ch.write(s, bytes_of("geometry is private")).value(), 19u);
  EXPECT_EQ(g.read(s), "geometry is private");
}

// Random bytes sprayed over the region between random host operations: the
// host library must never crash or hang (the same loop as the fuzz target,
// with a fixed seed).
TEST(ChannelHostile, RandomGarbageBetweenOperations) {
  Channel ch = make();
  GuestSim g(ch);
  std::mt19937 rng(12345);
  std::vector<uint32_t> ready;
  uint8_t buf[8192];
  std::vector<uint8_t> data(6000, 'q');
  for (int step = 0; step < 20000; ++step) {
    uint32_t slot = rng() % 10;  // includes out-of-range numbers
    switch (rng() % 14) {
      case 0:
        (void)ch.open(static_cast<uint16_t>(rng()), rng(), static_cast<uint16_t>(rng()));
        break;
      case 1:
        (void)ch.write(slot, {data.data(), rng() % data.size()});
        break;
      case 2:
        (void)ch.read(slot, {buf, rng() % sizeof buf});
        break;
      case 3:
        ch.close(slot);
        break;
      case 4:
        ch.reset(slot);
        break;
      case 5:
        (void)ch.shutdown_write(slot);
        break;
      case 6:
        (void)ch.next_guest_open();
        break;
      case 7:
        (void)ch.accept(slot);
        break;
      case 8:
        (void)ch.refuse(slot);
        break;
      case 9:
        ready.clear();
        ch.collect(ready);
        break;
      case 10:
        (void)ch.status(slot);
        (void)ch.listen_ports();
        (void)ch.changed();
        break;
      case 11:
        ch.flush();
        (void)ch.prepare_sleep();
        ch.finish_sleep();
        break;
      case 12:
        (void)ch.cancel_if_unaccepted(slot);
        break;
      default: {
        // Garbage: one word anywhere in the headers (slot fields mostly).
        uint64_t span = sabi::channel_data_offset(8);
        uint64_t off = (rng() % (span / 4)) * 4;
        uint32_t v = rng() % 3 == 0 ? rng() % 6 : rng();
        __atomic_store_n(reinterpret_cast<uint32_t*>(g.base() + off), v, __ATOMIC_RELAXED);
        break;
      }
    }
  }
  // Still usable afterwards for slots the guest left alone.
  SUCCEED();
}

}  // namespace
