// Instance indexes: the lowest free one, held by every holder until each let go.
#include "instance_indexes.hpp"

#include <gtest/gtest.h>

namespace shoal::pool {
namespace {

TEST(InstanceIndexes, LowestFreeFirst) {
  InstanceIndexes x;
  for (uint32_t k = 0; k < 5; ++k) EXPECT_EQ(x.take_lowest(), k);
  x.release(1);
  x.release(3);
  EXPECT_EQ(x.take_lowest(), 1u);
  EXPECT_EQ(x.take_lowest(), 3u);
  EXPECT_EQ(x.take_lowest(), 5u);
  EXPECT_EQ(x.held_count(), 6u);
}

TEST(InstanceIndexes, HeldUntilEveryHolderReleases) {
  InstanceIndexes x;
  uint32_t i = x.take_lowest();  // a live instance
  x.hold(i);                     // its pending restart
  x.release(i);                  // the instance exits
  EXPECT_TRUE(x.held(i));
  EXPECT_EQ(x.take_lowest(), 1u);
  x.release(i);                  // the restart is cancelled
  EXPECT_FALSE(x.held(i));
  EXPECT_EQ(x.take_lowest(), 0u);
}

TEST(InstanceIndexes, HoldingAnIndexAboveTheRestLeavesTheGapFree) {
  InstanceIndexes x;
  x.hold(4);
  EXPECT_EQ(x.take_lowest(), 0u);
  EXPECT_EQ(x.take_lowest(), 1u);
  x.release(4);
  x.release(1);
  x.release(0);
  EXPECT_EQ(x.held_count(), 0u);
  EXPECT_EQ(x.take_lowest(), 0u);
  x.release(7);  // never held: ignored
  EXPECT_EQ(x.take_lowest(), 1u);
}

TEST(InstanceIndexes, TenThousandInOrder) {
  InstanceIndexes x;
  for (uint32_t k = 0; k < 10000; ++k) ASSERT_EQ(x.take_lowest(), k);
  for (uint32_t k = 0; k < 10000; k += 2) x.release(k);
  for (uint32_t k = 0; k < 10000; k += 2) ASSERT_EQ(x.take_lowest(), k);
}

}  // namespace
}  // namespace shoal::pool
