#include <gtest/gtest.h>

#include <shoal/pool/policy/retry_budget.hpp>

using namespace shoal::pool::policy;
using namespace std::chrono_literals;

namespace {
const TimePoint t0 = TimePoint{} + 3600s;

int spend_all(RetryBudget& b, TimePoint now) {
  int n = 0;
  while (b.try_retry(now) && n < 100000) ++n;
  return n;
}
}  // namespace

TEST(RetryBudget, MinimumAllowanceWithoutTraffic) {
  RetryBudget b({.ratio = 0.2, .min_per_second = 3, .window = 10s});
  EXPECT_EQ(b.allowance(t0), 30u);  // 3/s over 10 s
  EXPECT_EQ(spend_all(b, t0), 30);
  EXPECT_FALSE(b.try_retry(t0));
}

TEST(RetryBudget, TwentyPercentOfRequestsPlusTheMinimum) {
  RetryBudget b({.ratio = 0.2, .min_per_second = 3, .window = 10s});
  for (int i = 0; i < 1000; ++i) b.on_request(t0 + std::chrono::milliseconds(i));
  EXPECT_EQ(b.requests(t0 + 1s), 1000u);
  EXPECT_EQ(spend_all(b, t0 + 1s), 200 + 30);
  EXPECT_EQ(b.retries(t0 + 1s), 230u);
}

TEST(RetryBudget, OnlyPercentWhenMinimumIsZero) {
  RetryBudget b({.ratio = 0.2, .min_per_second = 0, .window = 10s});
  EXPECT_FALSE(b.try_retry(t0));
  for (int i = 0; i < 10; ++i) b.on_request(t0);
  EXPECT_EQ(spend_all(b, t0), 2);
}

TEST(RetryBudget, WindowSlides) {
  RetryBudget b({.ratio = 0.2, .min_per_second = 0, .window = 10s});
  for (int i = 0; i < 100; ++i) b.on_request(t0);
  EXPECT_EQ(spend_all(b, t0), 20);
  // 5 s later the requests and retries are both still in the window.
  EXPECT_FALSE(b.try_retry(t0 + 5s));
  for (int i = 0; i < 50; ++i) b.on_request(t0 + 5s);
  EXPECT_EQ(spend_all(b, t0 + 5s), 10);
  // 10 s after t0, t0's bucket has left the window: 50 requests, 10 retries.
  EXPECT_EQ(b.requests(t0 + 10s), 50u);
  EXPECT_EQ(b.retries(t0 + 10s), 10u);
  EXPECT_FALSE(b.try_retry(t0 + 10s));
  // And after a long silence nothing is left.
  EXPECT_EQ(b.requests(t0 + 100s), 0u);
  EXPECT_EQ(b.retries(t0 + 100s), 0u);
}

TEST(RetryBudget, RetriesDoNotEarnRetries) {
  RetryBudget b({.ratio = 0.5, .min_per_second = 0, .window = 10s});
  for (int i = 0; i < 4; ++i) b.on_request(t0);
  EXPECT_EQ(spend_all(b, t0), 2);
  EXPECT_EQ(b.requests(t0), 4u);
}
