#include <gtest/gtest.h>

#include <shoal/pool/policy/level_average.hpp>

using namespace shoal::pool::policy;
using namespace std::chrono_literals;

namespace {
const TimePoint t0 = TimePoint{} + 1000s;
}

TEST(LevelAverage, ConstantLevel) {
  LevelAverage a(60s, 100ms, t0, 4);
  EXPECT_DOUBLE_EQ(a.average(t0 + 30s, 60s), 4);  // over the 30 s since start
  EXPECT_DOUBLE_EQ(a.average(t0 + 90s, 60s), 4);
}

TEST(LevelAverage, TimeWeightedSteps) {
  LevelAverage a(60s, 100ms, t0);
  a.set(t0, 10);
  a.set(t0 + 30s, 0);
  EXPECT_NEAR(a.average(t0 + 33s, 6s), 5, 1e-9);  // [27 s, 33 s]: half at 10
  EXPECT_NEAR(a.average(t0 + 60s, 60s), 5, 1e-9);
  EXPECT_NEAR(a.average(t0 + 60s, 6s), 0, 1e-9);
}

TEST(LevelAverage, ManyChangesBetweenSamplesAreIntegrated) {
  LevelAverage a(10s, 100ms, t0);
  // One request at a time, each 10 ms long, one every 20 ms: level 0.5 on average.
  for (int i = 0; i < 500; ++i) {
    a.set(t0 + std::chrono::milliseconds(20 * i), 1);
    a.set(t0 + std::chrono::milliseconds(20 * i + 10), 0);
  }
  EXPECT_NEAR(a.average(t0 + 10s, 10s), 0.5, 1e-9);
}

TEST(LevelAverage, LongSilenceForgetsOldData) {
  LevelAverage a(60s, 100ms, t0);
  a.set(t0, 100);
  a.set(t0 + 1s, 0);
  EXPECT_NEAR(a.average(t0 + 1h, 60s), 0, 1e-9);
  a.set(t0 + 1h, 3);
  EXPECT_NEAR(a.average(t0 + 1h + 60s, 60s), 3, 1e-9);
}
