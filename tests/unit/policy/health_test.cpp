#include <gtest/gtest.h>

#include <shoal/pool/policy/health.hpp>

using namespace shoal::pool::policy;
using namespace std::chrono_literals;

namespace {
const TimePoint t0 = TimePoint{} + 100s;
}

TEST(ActiveHealth, ProbesEveryIntervalNotOverlapping) {
  ActiveHealth h({.interval = 1s, .timeout = 500ms, .rise = 2, .fall = 3}, t0);
  EXPECT_TRUE(h.probe_due(t0));  // the first probe at once
  h.probe_sent(t0);
  EXPECT_EQ(h.probe_deadline(), t0 + 500ms);
  EXPECT_FALSE(h.probe_due(t0 + 2s));  // one in flight
  h.probe_result(true);
  EXPECT_TRUE(h.probe_due(t0 + 1s));
  EXPECT_FALSE(h.probe_due(t0 + 999ms));
  EXPECT_EQ(h.next_probe(), t0 + 1s);
}

TEST(ActiveHealth, FallConsecutiveFailuresThenRiseSuccesses) {
  ActiveHealth h({.interval = 1s, .timeout = 500ms, .rise = 2, .fall = 3}, t0);
  TimePoint t = t0;
  auto probe = [&](bool ok) {
    h.probe_sent(t);
    t += 1s;
    return h.probe_result(ok);
  };
  EXPECT_EQ(probe(false), HealthChange::none);
  EXPECT_EQ(probe(false), HealthChange::none);
  EXPECT_EQ(probe(true), HealthChange::none);  // the streak is broken
  EXPECT_EQ(probe(false), HealthChange::none);
  EXPECT_EQ(probe(false), HealthChange::none);
  EXPECT_TRUE(h.healthy());
  EXPECT_EQ(probe(false), HealthChange::became_unhealthy);
  EXPECT_FALSE(h.healthy());
  EXPECT_EQ(probe(false), HealthChange::none);
  EXPECT_EQ(probe(true), HealthChange::none);
  EXPECT_EQ(probe(false), HealthChange::none);
  EXPECT_EQ(probe(true), HealthChange::none);
  EXPECT_EQ(probe(true), HealthChange::became_healthy);
  EXPECT_TRUE(h.healthy());
}

TEST(ActiveHealth, StartingUnhealthyNeedsRise) {
  ActiveHealth h({.interval = 1s, .timeout = 500ms, .rise = 2, .fall = 3}, t0, false);
  EXPECT_FALSE(h.healthy());
  h.probe_sent(t0);
  EXPECT_EQ(h.probe_result(true), HealthChange::none);
  h.probe_sent(t0 + 1s);
  EXPECT_EQ(h.probe_result(true), HealthChange::became_healthy);
}

TEST(PassiveHealth, ConsecutiveErrorsTriggerACooldown) {
  PassiveHealth h({.max_errors = 3, .cooldown = 10s});
  EXPECT_EQ(h.record(false, t0), HealthChange::none);
  EXPECT_EQ(h.record(false, t0), HealthChange::none);
  EXPECT_EQ(h.record(true, t0), HealthChange::none);  // not consecutive
  EXPECT_EQ(h.record(false, t0), HealthChange::none);
  EXPECT_EQ(h.record(false, t0), HealthChange::none);
  EXPECT_EQ(h.record(false, t0 + 1s), HealthChange::became_unhealthy);
  EXPECT_FALSE(h.healthy());
  EXPECT_EQ(h.cooldown_until(), t0 + 11s);
  // Late outcomes of requests sent earlier change nothing during the cool-down.
  EXPECT_EQ(h.record(false, t0 + 2s), HealthChange::none);
  EXPECT_EQ(h.poll(t0 + 10s), HealthChange::none);
  EXPECT_EQ(h.poll(t0 + 11s), HealthChange::became_healthy);
  EXPECT_TRUE(h.healthy());
  EXPECT_TRUE(h.on_probation());
}

TEST(PassiveHealth, ProbationOneFailureSendsItBack) {
  PassiveHealth h({.max_errors = 3, .cooldown = 10s});
  for (int i = 0; i < 3; ++i) h.record(false, t0);
  h.poll(t0 + 10s);
  EXPECT_EQ(h.record(false, t0 + 10s), HealthChange::became_unhealthy);
  EXPECT_EQ(h.cooldown_until(), t0 + 20s);
  h.poll(t0 + 20s);
  EXPECT_EQ(h.record(true, t0 + 20s), HealthChange::none);
  EXPECT_FALSE(h.on_probation());
  // Cleared: it takes max_errors again.
  EXPECT_EQ(h.record(false, t0 + 21s), HealthChange::none);
  EXPECT_TRUE(h.healthy());
}

TEST(PassiveHealth, ZeroMaxErrorsIsOff) {
  PassiveHealth h({.max_errors = 0, .cooldown = 10s});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(h.record(false, t0), HealthChange::none);
  EXPECT_TRUE(h.healthy());
}
