// The consistent-hashing (ketama) property: adding one backend to N moves
// about 1/(N+1) of the keys, and every key that moves goes to the new one.
#include <gtest/gtest.h>

#include <stdio.h>

#include <map>
#include <string>
#include <vector>

#include <shoal/pool/policy/balancer.hpp>

using namespace shoal::pool::policy;

namespace {

std::unique_ptr<Balancer> ring(int n, HashKey key = {}) {
  BalancerOptions o;
  o.kind = BalanceKind::hash;
  o.hash_key = std::move(key);
  auto b = make_balancer(o);
  for (int i = 1; i <= n; ++i) b->add(static_cast<BackendId>(i));
  return b;
}

std::string url(int i) { return "/catalog/item/" + std::to_string(i) + "?lang=en"; }

}  // namespace

TEST(Ketama, AddingAFifthBackendMovesAboutAFifthOfKeysAllToIt) {
  auto b = ring(4);
  constexpr int kKeys = 10000;
  std::vector<BackendId> before(kKeys);
  for (int i = 0; i < kKeys; ++i) before[i] = *b->pick({.url = url(i)});
  b->add(5);
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    BackendId now = *b->pick({.url = url(i)});
    if (now != before[i]) {
      ++moved;
      EXPECT_EQ(now, 5u) << "key " << i << " moved between old backends";
    }
  }
  double fraction = static_cast<double>(moved) / kKeys;
  printf("ketama: adding a 5th backend to 4 moved %d of %d keys (%.1f%%), all to the new one\n", moved, kKeys,
         100 * fraction);
  EXPECT_GE(fraction, 0.15);
  EXPECT_LE(fraction, 0.25);
}

TEST(Ketama, SpreadsKeysEvenly) {
  auto b = ring(4);
  std::map<BackendId, int> count;
  for (int i = 0; i < 10000; ++i) ++count[*b->pick({.url = url(i)})];
  ASSERT_EQ(count.size(), 4u);
  for (auto [id, n] : count) EXPECT_NEAR(n, 2500, 500) << id;
}

TEST(Ketama, SameKeySameBackend) {
  auto b = ring(6);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(*b->pick({.url = url(i)}), *b->pick({.url = url(i)}));
}

TEST(Ketama, UnavailableBackendsKeysGoElsewhereOthersStay) {
  auto b = ring(5);
  std::vector<BackendId> before;
  for (int i = 0; i < 3000; ++i) before.push_back(*b->pick({.url = url(i)}));
  b->set_state(2, BackendState::unavailable);
  for (int i = 0; i < 3000; ++i) {
    BackendId now = *b->pick({.url = url(i)});
    EXPECT_NE(now, 2u);
    if (before[i] != 2) {
      EXPECT_EQ(now, before[i]);
    }
  }
  b->set_state(2, BackendState::available);
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(*b->pick({.url = url(i)}), before[i]);
}

TEST(Ketama, RemovingABackendMovesOnlyItsKeys) {
  auto b = ring(5);
  std::vector<BackendId> before;
  for (int i = 0; i < 3000; ++i) before.push_back(*b->pick({.url = url(i)}));
  b->remove(4);
  for (int i = 0; i < 3000; ++i)
    if (before[i] != 4) {
      EXPECT_EQ(*b->pick({.url = url(i)}), before[i]);
    }
}

TEST(Ketama, HashesTheNamedHeaderAndFallsBackToTheUrl) {
  auto b = ring(8, *parse_hash_key("header:X-User"));
  // One user: many URLs, one backend.
  BackendId user = *b->pick({.url = "/a", .header = "alice"});
  for (int i = 0; i < 200; ++i) EXPECT_EQ(*b->pick({.url = url(i), .header = "alice"}), user);
  // No header: the URL decides, as with hash_key = "url".
  auto by_url = ring(8);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(*b->pick({.url = url(i)}), *by_url->pick({.url = url(i)}));
}

TEST(Ketama, WeightDoublesTheShare) {
  BalancerOptions o;
  o.kind = BalanceKind::hash;
  auto b = make_balancer(o);
  b->add(1, 2);
  b->add(2, 1);
  int heavy = 0;
  for (int i = 0; i < 9000; ++i) heavy += *b->pick({.url = url(i)}) == 1;
  EXPECT_NEAR(heavy, 6000, 600);
}

TEST(Ketama, NoneWhenNothingAvailable) {
  auto b = ring(2);
  b->set_state(1, BackendState::draining);
  b->set_state(2, BackendState::unavailable);
  EXPECT_FALSE(b->pick({.url = "/x"}));
}
