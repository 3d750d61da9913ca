// The autoscaler driven as shoald drives it: concurrency reported as it
// changes, a decision every 100 ms, and the instances it asks for ready at once.
#include <gtest/gtest.h>

#include <shoal/pool/policy/autoscaler.hpp>

using namespace shoal::pool::policy;
using namespace std::chrono_literals;

namespace {

const TimePoint t0 = TimePoint{} + 10000s;

AutoscaleConfig config(uint32_t min, uint32_t max, uint32_t initial) {
  AutoscaleConfig c;
  c.target = 10;
  c.min_instances = min;
  c.max_instances = max;
  c.initial_instances = initial;
  return c;
}

struct Sim {
  Sim(const AutoscaleConfig& c, uint32_t ready_at_start) : scaler(c, t0), ready(ready_at_start) {}

  // Holds `concurrency` for `d`, deciding every tick; returns the last decision.
  uint32_t run(Duration d, double concurrency, Duration tick = 100ms) {
    scaler.observe(now, concurrency);
    TimePoint end = now + d;
    while (now < end) {
      now += tick;
      ready = scaler.desired(now, ready);
      max_seen = std::max(max_seen, ready);
      decisions.push_back(ready);
    }
    return ready;
  }

  Autoscaler scaler;
  TimePoint now = t0;
  uint32_t ready;
  uint32_t max_seen = 0;
  std::vector<uint32_t> decisions;
};

}  // namespace

TEST(Autoscaler, SteadyStateHoldsTheRightCount) {
  Sim sim(config(1, 20, 3), 3);
  sim.run(120s, 30);
  EXPECT_EQ(sim.ready, 3u);
  for (uint32_t d : sim.decisions) ASSERT_EQ(d, 3u);
  EXPECT_FALSE(sim.scaler.panicking());
  EXPECT_NEAR(sim.scaler.status().stable_concurrency, 30, 1e-6);
}

TEST(Autoscaler, FractionalLoadRoundsUp) {
  Sim sim(config(1, 20, 1), 1);
  EXPECT_EQ(sim.run(120s, 11), 2u);  // 11 requests at 10 per instance
}

TEST(Autoscaler, RampUpFollowsTheLoad) {
  Sim sim(config(1, 50, 1), 1);
  // Load climbs by 5 every 3 s up to 100, then stays.
  for (int step = 1; step <= 20; ++step) sim.run(3s, 5.0 * step);
  sim.run(120s, 100);
  EXPECT_EQ(sim.ready, 10u);
  // Scale-up only on the way up: no decision below the one before it.
  size_t ramp_end = 20 * 30;
  for (size_t i = 1; i < ramp_end; ++i) ASSERT_GE(sim.decisions[i], sim.decisions[i - 1]) << "at tick " << i;
}

TEST(Autoscaler, MaxScaleUpRateLimitsEachStep) {
  AutoscaleConfig c = config(1, 100, 1);
  c.max_scale_up_rate = 2;
  Sim sim(c, 1);
  sim.run(100ms, 500);
  EXPECT_EQ(sim.ready, 2u);  // ceil(2 x 1)
  sim.run(100ms, 500);
  EXPECT_EQ(sim.ready, 4u);
  sim.run(100ms, 500);
  EXPECT_EQ(sim.ready, 8u);
}

TEST(Autoscaler, MaxInstancesBounds) {
  Sim sim(config(1, 20, 1), 1);
  EXPECT_EQ(sim.run(30s, 1000), 20u);
}

TEST(Autoscaler, PanicReactsWithinTheShortWindowAndNeverScalesDown) {
  Sim sim(config(1, 50, 1), 1);
  sim.run(120s, 10);
  EXPECT_EQ(sim.ready, 1u);
  EXPECT_FALSE(sim.scaler.panicking());

  // The load jumps 5x. The 60 s average barely moves, the 6 s one does.
  sim.run(1s, 50);
  EXPECT_TRUE(sim.scaler.panicking());
  EXPECT_GE(sim.ready, 2u);
  sim.run(6s, 50);
  EXPECT_EQ(sim.ready, 5u);
  EXPECT_LE(sim.scaler.status().desired_stable, 2u);  // the stable decision alone would lag

  // The surge ends: in panic the count does not drop.
  sim.run(20s, 0);
  EXPECT_TRUE(sim.scaler.panicking());
  EXPECT_EQ(sim.ready, 5u);

  // A stable window after the panic condition last held, panic ends and the
  // count follows the stable average down.
  sim.run(60s, 0);
  EXPECT_FALSE(sim.scaler.panicking());
  sim.run(70s, 0);
  EXPECT_EQ(sim.ready, 1u);
}

TEST(Autoscaler, PanicStartsAtTwiceTheReadyInstances) {
  // Two instances ready; the 6 s average reaches `load`.
  auto panics = [](double load) {
    Autoscaler a(config(1, 50, 2), t0);
    a.observe(t0, 20);
    (void)a.desired(t0 + 120s, 2);
    a.observe(t0 + 120s, load);
    (void)a.desired(t0 + 126s, 2);
    return a.panicking();
  };
  EXPECT_FALSE(panics(30));  // wants ceil(30 / 10) = 3 < 2 x 2
  EXPECT_TRUE(panics(31));   // wants ceil(31 / 10) = 4 >= 2 x 2
}

TEST(Autoscaler, ScalesDownOnlyAsTheStableWindowForgets) {
  Sim sim(config(1, 50, 5), 5);
  sim.run(120s, 50);
  EXPECT_EQ(sim.ready, 5u);
  sim.run(30s, 0);
  EXPECT_EQ(sim.ready, 3u);  // the 60 s average is still 25
  EXPECT_NEAR(sim.scaler.status().stable_concurrency, 25, 0.1);
  sim.run(31s, 0);
  EXPECT_EQ(sim.ready, 1u);  // the window has forgotten the load; min_instances = 1
}

TEST(Autoscaler, ScaleDownRateHalvesAtMost) {
  AutoscaleConfig c = config(1, 50, 8);
  Sim sim(c, 8);
  sim.run(120s, 80);
  EXPECT_EQ(sim.ready, 8u);
  sim.run(61s, 0, 61s);  // one decision after the load is gone from the window
  EXPECT_EQ(sim.ready, 4u);  // floor(8 / 2)
}

TEST(Autoscaler, ScaleToZeroAfterTheIdlePeriod) {
  AutoscaleConfig c = config(0, 10, 1);
  c.scale_to_zero_after = 30s;
  Sim sim(c, 1);
  for (int i = 0; i < 100; ++i) sim.scaler.on_request(sim.now + std::chrono::milliseconds(100 * i));
  sim.run(10s, 5);
  EXPECT_EQ(sim.ready, 1u);
  TimePoint last_request = sim.now;
  sim.scaler.on_request(last_request);
  sim.run(29900ms, 0);
  EXPECT_EQ(sim.ready, 1u);
  EXPECT_FALSE(sim.scaler.status().idle);
  sim.run(100ms, 0);
  EXPECT_EQ(sim.now - last_request, 30s);
  EXPECT_EQ(sim.ready, 0u);
  EXPECT_TRUE(sim.scaler.status().idle);
}

TEST(Autoscaler, NoScaleToZeroWhileRequestsAreInFlight) {
  AutoscaleConfig c = config(0, 10, 1);
  Sim sim(c, 1);
  sim.scaler.on_request(t0);
  sim.run(300s, 1);  // one long request (e.g. a stream) open all along
  EXPECT_EQ(sim.ready, 1u);
}

TEST(Autoscaler, NeverToZeroWithMinInstances) {
  Sim sim(config(2, 10, 2), 2);
  EXPECT_EQ(sim.run(600s, 0), 2u);
}

TEST(Autoscaler, ActivationFromZeroIsImmediate) {
  AutoscaleConfig c = config(0, 10, 0);
  Sim sim(c, 0);
  EXPECT_EQ(sim.run(100s, 0), 0u);  // created with none, idle from the start
  // A request arrives at zero: the next decision asks for an instance.
  sim.scaler.on_request(sim.now);
  EXPECT_EQ(sim.scaler.desired(sim.now, 0), 1u);
}

TEST(Autoscaler, BurstAtZeroScalesToTheHeldLoad) {
  AutoscaleConfig c = config(0, 10, 0);
  Sim sim(c, 0);
  sim.run(100s, 0);
  // 40 requests held while the first instance starts (none ready yet).
  sim.scaler.on_request(sim.now);
  sim.scaler.observe(sim.now, 40);
  uint32_t d = sim.scaler.desired(sim.now + 100ms, 0);
  EXPECT_EQ(d, 4u);
  EXPECT_TRUE(sim.scaler.panicking());
}

TEST(Autoscaler, InitialCountHoldsForTheFirstStableWindow) {
  Sim sim(config(1, 10, 3), 3);
  sim.run(59s, 0);
  EXPECT_EQ(sim.ready, 3u);
  sim.run(5s, 0);
  EXPECT_EQ(sim.ready, 1u);
}
