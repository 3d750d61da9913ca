// ChannelHub's notification suppression on real channels, the guest played
// in the test process (GuestSim): idle channels end up announced (the guest
// kicks), a channel quiet for a while is announced even while the loop stays
// busy, and a guest shoald has just kicked awake is polled (it need not kick
// back).
#include "channel_hub.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "../channel/guest_sim.hpp"
#include "event_loop.hpp"
#include "instance_runtime.hpp"
#include "pool/channel/channel.hpp"

namespace shoal::pool {
namespace {

using test::GuestSim;
namespace sabi = shoal::abi;

struct NoOwner : ChannelHub::Owner {
  void on_channel_starting(Instance&) override {}
  void on_slots_released(Instance&) override {}
};

struct Fixture {
  std::unique_ptr<EventLoop> loop = EventLoop::create().value();
  NoOwner owner;
  ChannelHub hub{*loop, owner};
  std::vector<std::unique_ptr<Instance>> instances;
  std::vector<std::unique_ptr<GuestSim>> guests;

  explicit Fixture(int n) {
    hub.start();
    for (int k = 0; k < n; ++k) {
      auto i = std::make_unique<Instance>();
      i->id = static_cast<uint64_t>(k + 1);
      i->state = InstanceState::ready;
      ChannelConfig c;
      c.slot_count = 8;
      c.ring_size = 4096;
      i->channel = std::make_unique<Channel>(Channel::create(c).value());
      guests.push_back(std::make_unique<GuestSim>(*i->channel));
      hub.add(*i);
      instances.push_back(std::move(i));
    }
  }
  ~Fixture() {
    for (auto& i : instances) hub.remove(*i);
  }
  bool host_sleeping(int k) { return __atomic_load_n(&guests[k]->header()->host_sleeping, __ATOMIC_ACQUIRE) != 0; }
  // Runs the loop for `ms` milliseconds; `busy` keeps it from idling.
  // (A hook cannot be removed: each run's hook checks its own flag.)
  void run_for(int ms, bool busy) {
    auto done = std::make_shared<bool>(false);
    if (busy) loop->add_poll_hook([done] { return !*done; });
    loop->after(static_cast<uint64_t>(ms) * 1000000, [this, done] {
      *done = true;
      loop->stop();
    });
    loop->run();
  }
};

// With nothing to do the loop announces every channel before it sleeps.
TEST(ChannelHub, IdleLoopAnnouncesEveryChannel) {
  Fixture f(100);
  f.run_for(20, /*busy=*/false);
  for (int k = 0; k < 100; ++k) EXPECT_TRUE(f.host_sleeping(k)) << k;
}

// The loop stays busy (another source of work), yet a channel without news
// for 2 ms is announced on its own: the hub does not poll idle channels
// forever.
TEST(ChannelHub, QuietChannelIsAnnouncedWhileTheLoopIsBusy) {
  Fixture f(3);
  f.run_for(20, /*busy=*/true);
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(f.host_sleeping(k)) << k;
}

// shoald kicks a sleeping guest (a request for it): the hub withdraws its
// own announcement for that channel, so the guest's answer needs no kick.
TEST(ChannelHub, KickedGuestIsPolled) {
  Fixture f(2);
  f.run_for(10, /*busy=*/false);
  ASSERT_TRUE(f.host_sleeping(0));
  // A connection the guest has accepted, then the guest sleeps.
  Channel& ch = *f.instances[0]->channel;
  auto slot = ch.open(8080, 0x0100007f, 40000);
  ASSERT_TRUE(slot.ok());
  ASSERT_TRUE(f.guests[0]->accept(*slot));
  sabi::channel_announce_sleep(f.guests[0]->header(), sabi::kSideGuest);
  // The request: written and flushed from a timer, as the gateway does from
  // a client's callback; the flush kicks the sleeping guest. The loop stops
  // at the next iteration's timers, after this iteration's poll hooks.
  auto done = std::make_shared<bool>(false);
  f.loop->add_poll_hook([done] { return !*done; });
  f.loop->after(uint64_t{1000000}, [&] {
    ASSERT_TRUE(ch.write(*slot, {reinterpret_cast<const uint8_t*>("GET"), 3}).ok());
    ch.flush();
    f.loop->after(uint64_t{0}, [&] {
      *done = true;
      f.loop->stop();
    });
  });
  f.loop->run();
  EXPECT_EQ(ch.kicks_sent(), 1u);
  EXPECT_FALSE(f.host_sleeping(0));  // polled: the answer needs no kick
  EXPECT_TRUE(f.host_sleeping(1));   // the other one stays announced
}

}  // namespace
}  // namespace shoal::pool
