// warm_first: the load stays on the most recently used instances and spreads
// only as they fill up to warm_load; idle instances are not woken.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <shoal/pool/policy/balancer.hpp>


using namespace shoal::pool::policy;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Balancer> make_warm(uint32_t count, uint32_t warm_load, uint32_t max_concurrency = 0) {
  BalancerOptions o;
  o.kind = BalanceKind::warm_first;
  o.warm_load = warm_load;
  o.max_concurrency = max_concurrency;
  auto b = make_balancer(o);
  for (BackendId id = 1; id <= count; ++id) b->add(id);
  return b;
}

// Picks and starts a request: the backend as a letter (1 = 'a').
char start(Balancer& b) {
  auto id = b.pick({});
  EXPECT_TRUE(id.has_value());
  if (!id) return '-';
  b.on_start(*id);
  return static_cast<char>('a' + *id - 1);
}

std::string starts(Balancer& b, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += start(b);
  return s;
}

void finish(Balancer& b, BackendId id) { b.on_finish(id, 1ms, true); }

}  // namespace

// One request at a time: every one goes to the same instance, never around
// the pool (round robin would wake each in turn).
TEST(WarmFirst, SequentialRequestsStayOnOneInstance) {
  auto b = make_warm(5, 4);
  std::string s;
  for (int i = 0; i < 20; ++i) {
    s += start(*b);
    finish(*b, static_cast<BackendId>(s.back() - 'a' + 1));
  }
  EXPECT_EQ(s, std::string(20, 'a'));
}

// The next instance is used only once the warm ones carry warm_load each.
TEST(WarmFirst, SpreadsOnlyWhenLoaded) {
  auto b = make_warm(4, 2);
  EXPECT_EQ(starts(*b, 6), "aabbcc");
  // A request ends on `a`: a has room again, but b and c were picked since;
  // the most recent with room wins: a (the only one below its load).
  finish(*b, 1);
  EXPECT_EQ(starts(*b, 1), "a");
  // Now c (most recent) ends one: it goes first.
  finish(*b, 3);
  finish(*b, 1);
  EXPECT_EQ(starts(*b, 2), "ac");
  EXPECT_EQ(b->find(4)->in_flight, 0u);  // never woken
}

// The most recently picked instance with room goes first, so an instance
// that stops getting requests falls behind and goes cold.
TEST(WarmFirst, MostRecentlyUsedFirst) {
  auto b = make_warm(3, 1);
  EXPECT_EQ(starts(*b, 3), "abc");  // each at its load: order now c b a
  finish(*b, 1);
  finish(*b, 2);
  finish(*b, 3);
  EXPECT_EQ(starts(*b, 1), "c");
  EXPECT_EQ(starts(*b, 1), "b");
}

// Everyone at warm_load: the least loaded, the most recent among equals; the
// policy never refuses a request that an instance below its cap could take.
TEST(WarmFirst, BeyondWarmLoadTheLeastLoaded) {
  auto b = make_warm(2, 1);
  EXPECT_EQ(starts(*b, 2), "ab");
  EXPECT_EQ(starts(*b, 1), "b");  // both at 1: the most recent
  EXPECT_EQ(starts(*b, 1), "a");  // a 1, b 2
  EXPECT_EQ(starts(*b, 1), "a");  // both 2, a the most recent
}

TEST(WarmFirst, MaxConcurrencyStillCaps) {
  auto b = make_warm(2, 8, /*max_concurrency=*/3);
  EXPECT_EQ(starts(*b, 6), "aaabbb");
  EXPECT_FALSE(b->pick({}));
  finish(*b, 1);
  EXPECT_EQ(starts(*b, 1), "a");
}

TEST(WarmFirst, SkipsUnavailableAndDraining) {
  auto b = make_warm(3, 8);
  EXPECT_EQ(starts(*b, 1), "a");
  b->set_state(1, BackendState::unavailable);
  EXPECT_EQ(starts(*b, 1), "b");
  b->set_state(2, BackendState::draining);
  EXPECT_EQ(starts(*b, 1), "c");
  b->set_state(3, BackendState::unavailable);
  EXPECT_FALSE(b->pick({}));
  b->set_state(1, BackendState::available);
  EXPECT_EQ(starts(*b, 1), "a");
}

// Weight scales the load an instance takes before the next one is woken.
TEST(WarmFirst, WeightScalesWarmLoad) {
  BalancerOptions o;
  o.kind = BalanceKind::warm_first;
  o.warm_load = 2;
  auto b = make_balancer(o);
  b->add(1, 3);
  b->add(2, 1);
  EXPECT_EQ(starts(*b, 8), "aaaaaabb");
}

// New instances join cold (last); one that leaves leaves the order, and
// its node is reused without disturbing the others.
TEST(WarmFirst, MembershipChanges) {
  auto b = make_warm(2, 1);
  b->add(3);
  EXPECT_EQ(starts(*b, 3), "abc");
  finish(*b, 1);
  finish(*b, 2);
  finish(*b, 3);
  EXPECT_TRUE(b->remove(3));  // the most recent leaves
  EXPECT_EQ(starts(*b, 1), "b");
  b->add(4);
  b->add(3);
  EXPECT_EQ(starts(*b, 3), "adc");  // b is loaded; a, then the newcomers in order of arrival
  for (BackendId id = 1; id <= 4; ++id) b->remove(id);
  EXPECT_FALSE(b->pick({}));
  b->add(9);
  EXPECT_EQ(b->pick({}), std::optional<BackendId>(9));
}

// A closed loop of 32 clients over 1,000 instances (each request ends after
// a random number of others start): the load stays on 32 / warm_load
// instances, where round robin touches every one of them.
TEST(WarmFirst, ClosedLoopUsesConcurrencyOverWarmLoadInstances) {
  constexpr int kClients = 32;
  for (BalanceKind kind : {BalanceKind::warm_first, BalanceKind::round_robin}) {
    BalancerOptions o;
    o.kind = kind;
    o.warm_load = 8;
    auto b = make_balancer(o);
    for (BackendId id = 1; id <= 1000; ++id) b->add(id);
    std::mt19937 random(7);  // fixed seed; the modulo below is portable
    std::vector<BackendId> open;
    std::set<BackendId> used;
    for (int i = 0; i < 20000; ++i) {
      while (open.size() < kClients) {
        auto id = b->pick({});
        ASSERT_TRUE(id);
        b->on_start(*id);
        open.push_back(*id);
        used.insert(*id);
      }
      size_t k = random() % open.size();
      finish(*b, open[k]);
      open.erase(open.begin() + static_cast<ptrdiff_t>(k));
    }
    if (kind == BalanceKind::warm_first) EXPECT_EQ(used.size(), 4u);
    else EXPECT_EQ(used.size(), 1000u);
  }
}
