#include <gtest/gtest.h>

#include <shoal/pool/policy/restart_backoff.hpp>

using namespace shoal::pool::policy;
using namespace std::chrono_literals;

namespace {
const TimePoint t0 = TimePoint{} + 100s;
}

TEST(RestartBackoff, DoublesFromTenMillisecondsUpToTenSeconds) {
  RestartBackoff b({.initial = 10ms, .factor = 2, .max = 10s, .reset_after = 10s});
  std::vector<Duration> delays;
  TimePoint t = t0;
  for (int i = 0; i < 13; ++i) {
    delays.push_back(b.on_exit(t));
    t += delays.back();
  }
  std::vector<Duration> expected{10ms, 20ms, 40ms, 80ms, 160ms, 320ms, 640ms, 1280ms, 2560ms, 5120ms, 10s, 10s, 10s};
  EXPECT_EQ(delays, expected);
}

TEST(RestartBackoff, CrashSoonAfterReadyKeepsBackingOff) {
  RestartBackoff b({.initial = 10ms, .factor = 2, .max = 10s, .reset_after = 10s});
  EXPECT_EQ(b.on_exit(t0), 10ms);
  b.on_ready(t0 + 20ms);
  EXPECT_EQ(b.on_exit(t0 + 2s), 20ms);  // ready for 2 s only
  b.on_ready(t0 + 3s);
  EXPECT_EQ(b.on_exit(t0 + 4s), 40ms);
}

TEST(RestartBackoff, ResetsAfterBeingReadyLongEnough) {
  RestartBackoff b({.initial = 10ms, .factor = 2, .max = 10s, .reset_after = 10s});
  for (int i = 0; i < 8; ++i) (void)b.on_exit(t0);
  EXPECT_EQ(b.failures(), 8u);
  b.on_ready(t0 + 1s);
  EXPECT_EQ(b.on_exit(t0 + 11s), 10ms);
  EXPECT_EQ(b.failures(), 1u);
  EXPECT_EQ(b.on_exit(t0 + 12s), 20ms);  // not ready since: no reset
}

TEST(RestartBackoff, HugeCountsDoNotOverflow) {
  RestartBackoff b({.initial = 10ms, .factor = 2, .max = 10s, .reset_after = 10s});
  for (int i = 0; i < 10000; ++i) (void)b.on_exit(t0);
  EXPECT_EQ(b.on_exit(t0), 10s);
}
