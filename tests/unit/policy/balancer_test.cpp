// Each balancing policy's defining property, with time and randomness fixed.
#include <gtest/gtest.h>

#include <stdio.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <shoal/pool/policy/balancer.hpp>

using namespace shoal::pool::policy;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Balancer> make(BalanceKind kind, std::vector<std::pair<BackendId, uint32_t>> backends,
                               BalancerOptions options = {}) {
  options.kind = kind;
  auto b = make_balancer(options);
  for (auto [id, weight] : backends) b->add(id, weight);
  return b;
}

BackendId pick(Balancer& b, const RequestKey& key = {}) {
  auto id = b.pick(key);
  EXPECT_TRUE(id.has_value());
  return id.value_or(0);
}

std::string sequence(Balancer& b, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += static_cast<char>('a' + pick(b) - 1);
  return out;
}

}  // namespace

TEST(BalanceKind, ParsesEveryNameAndRejectsOthers) {
  for (auto name : {"round_robin", "weighted", "least_conn", "ip_hash", "hash", "p2c", "least_time", "warm_first"}) {
    auto kind = parse_balance_kind(name);
    ASSERT_TRUE(kind.has_value()) << name;
    EXPECT_EQ(balance_kind_name(*kind), name);
  }
  EXPECT_FALSE(parse_balance_kind("roundrobin"));
  EXPECT_FALSE(parse_balance_kind(""));
}

TEST(HashKey, ParsesUrlAndHeader) {
  EXPECT_EQ(parse_hash_key("url"), HashKey{});
  auto h = parse_hash_key("header:X-User");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->source, HashKey::Source::header);
  EXPECT_EQ(h->header_name, "X-User");
  EXPECT_FALSE(parse_hash_key("header:"));
  EXPECT_FALSE(parse_hash_key("header:X User"));
  EXPECT_FALSE(parse_hash_key("cookie:x"));
}

TEST(RoundRobin, ExactCycle) {
  auto b = make(BalanceKind::round_robin, {{1, 1}, {2, 1}, {3, 1}});
  EXPECT_EQ(sequence(*b, 9), "abcabcabc");
}

TEST(RoundRobin, SkipsUnavailableAndDrainingAndComesBack) {
  auto b = make(BalanceKind::round_robin, {{1, 1}, {2, 1}, {3, 1}});
  b->set_state(2, BackendState::unavailable);
  EXPECT_EQ(sequence(*b, 4), "acac");
  b->set_state(3, BackendState::draining);
  EXPECT_EQ(sequence(*b, 2), "aa");
  b->set_state(2, BackendState::available);
  b->set_state(3, BackendState::available);
  EXPECT_EQ(sequence(*b, 3), "bca");
}

TEST(RoundRobin, NoneWhenEmptyOrAllUnavailable) {
  auto b = make(BalanceKind::round_robin, {});
  EXPECT_FALSE(b->pick({}));
  b->add(1);
  b->set_state(1, BackendState::unavailable);
  EXPECT_FALSE(b->pick({}));
  EXPECT_EQ(b->available_count(), 0u);
}

TEST(RoundRobin, MembershipChangesAtRunTime) {
  auto b = make(BalanceKind::round_robin, {{1, 1}, {2, 1}});
  EXPECT_EQ(sequence(*b, 2), "ab");
  b->add(3);
  EXPECT_EQ(sequence(*b, 3), "abc");
  EXPECT_TRUE(b->remove(1));
  EXPECT_FALSE(b->remove(1));
  std::string s = sequence(*b, 4);
  EXPECT_TRUE(s == "bcbc" || s == "cbcb") << s;
}

TEST(Balancer, CountsInFlightAndIgnoresUnknownIds) {
  auto b = make(BalanceKind::round_robin, {{1, 1}});
  b->on_start(1);
  b->on_start(1);
  EXPECT_EQ(b->find(1)->in_flight, 2u);
  b->on_finish(1, 5ms, true);
  EXPECT_EQ(b->find(1)->in_flight, 1u);
  b->on_finish(7, 5ms, true);  // unknown: ignored
  b->remove(1);
  b->on_finish(1, 5ms, true);  // removed while in flight: ignored
  EXPECT_EQ(b->find(1), nullptr);
}

// A pick the gateway gives back (no free channel slot on the instance) frees
// its place under the cap and leaves no latency sample behind.
TEST(Balancer, CancelForgetsAStartWithoutASample) {
  BalancerOptions o;
  o.max_concurrency = 1;
  auto b = make(BalanceKind::round_robin, {{1, 1}}, o);
  b->on_start(1);
  EXPECT_FALSE(b->pick({}).has_value());  // at its cap
  b->on_cancel(1);
  EXPECT_EQ(b->find(1)->in_flight, 0u);
  EXPECT_EQ(b->find(1)->responses, 0u);
  EXPECT_EQ(b->pick({}), std::optional<BackendId>(1));
  b->on_cancel(1);  // nothing in flight: stays at 0
  b->on_cancel(9);  // unknown: ignored
  EXPECT_EQ(b->find(1)->in_flight, 0u);
}

TEST(Balancer, EwmaLatencyWithFailurePenalty) {
  BalancerOptions o;
  o.ewma_alpha = 0.5;
  o.failure_penalty = 100ms;
  auto b = make(BalanceKind::round_robin, {{1, 1}}, o);
  b->on_finish(1, 10ms, true);
  EXPECT_EQ(b->find(1)->ewma_latency, 10ms);  // first sample taken as is
  b->on_finish(1, 20ms, true);
  EXPECT_EQ(b->find(1)->ewma_latency, 15ms);
  b->on_finish(1, 1ms, false);  // a fast failure counts as 100 ms
  EXPECT_EQ(b->find(1)->ewma_latency, 57500us);
  EXPECT_EQ(b->find(1)->responses, 3u);
}

TEST(Balancer, MaxConcurrencyCapSkipsFullBackends) {
  BalancerOptions o;
  o.max_concurrency = 2;
  auto b = make(BalanceKind::round_robin, {{1, 1}, {2, 1}}, o);
  for (int i = 0; i < 4; ++i) b->on_start(pick(*b));
  EXPECT_FALSE(b->pick({}));  // both at the cap
  b->on_finish(2, 1ms, true);
  EXPECT_EQ(pick(*b), 2u);
}

TEST(Weighted, NginxSmoothSequenceFor511) {
  auto b = make(BalanceKind::weighted, {{1, 5}, {2, 1}, {3, 1}});
  // nginx's documented sequence for weights {5, 1, 1}, twice over.
  EXPECT_EQ(sequence(*b, 14), "aabacaaaabacaa");
}

TEST(Weighted, SharesFollowWeights) {
  auto b = make(BalanceKind::weighted, {{1, 3}, {2, 2}, {3, 1}});
  std::map<BackendId, int> count;
  for (int i = 0; i < 600; ++i) ++count[pick(*b)];
  EXPECT_EQ(count[1], 300);
  EXPECT_EQ(count[2], 200);
  EXPECT_EQ(count[3], 100);
}

TEST(Weighted, UnavailableBackendsShareNothing) {
  auto b = make(BalanceKind::weighted, {{1, 5}, {2, 1}, {3, 1}});
  b->set_state(1, BackendState::unavailable);
  EXPECT_EQ(sequence(*b, 4), "bcbc");
}

TEST(LeastConn, PicksTheMinimum) {
  auto b = make(BalanceKind::least_conn, {{1, 1}, {2, 1}, {3, 1}});
  for (int i = 0; i < 3; ++i) b->on_start(1);
  b->on_start(3);
  EXPECT_EQ(pick(*b), 2u);
  b->on_start(2);
  b->on_start(2);
  EXPECT_EQ(pick(*b), 3u);  // 3 in flight on a, 2 on b, 1 on c
}

TEST(LeastConn, TiesGoRoundRobin) {
  auto b = make(BalanceKind::least_conn, {{1, 1}, {2, 1}, {3, 1}});
  EXPECT_EQ(sequence(*b, 6), "abcabc");
}

TEST(LeastConn, KeepsLoadLevelWhenRequestsStayOpen) {
  auto b = make(BalanceKind::least_conn, {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
  for (int i = 0; i < 40; ++i) b->on_start(pick(*b));
  for (const Backend& be : b->backends()) EXPECT_EQ(be.in_flight, 10u);
}

TEST(LeastConn, WeightScalesTheCount) {
  auto b = make(BalanceKind::least_conn, {{1, 3}, {2, 1}});
  for (int i = 0; i < 40; ++i) b->on_start(pick(*b));
  EXPECT_EQ(b->find(1)->in_flight, 30u);
  EXPECT_EQ(b->find(2)->in_flight, 10u);
}

TEST(IpHash, StablePerClientAndSpread) {
  auto b = make(BalanceKind::ip_hash, {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
  std::map<BackendId, int> count;
  for (int i = 0; i < 4000; ++i) {
    std::string ip = "10." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ".7";
    BackendId first = pick(*b, {.client_ip = ip});
    for (int again = 0; again < 3; ++again) ASSERT_EQ(pick(*b, {.client_ip = ip}), first);
    ++count[first];
  }
  ASSERT_EQ(count.size(), 4u);
  for (auto [id, n] : count) EXPECT_NEAR(n, 1000, 150) << "backend " << id;
}

TEST(IpHash, OnlyTheClientsOfALostBackendMove) {
  auto b = make(BalanceKind::ip_hash, {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
  std::vector<std::string> ips;
  std::vector<BackendId> before;
  for (int i = 0; i < 2000; ++i) {
    ips.push_back("192.168." + std::to_string(i / 250) + "." + std::to_string(i % 250));
    before.push_back(pick(*b, {.client_ip = ips.back()}));
  }
  b->set_state(3, BackendState::unavailable);
  for (size_t i = 0; i < ips.size(); ++i) {
    BackendId now = pick(*b, {.client_ip = ips[i]});
    if (before[i] != 3) {
      EXPECT_EQ(now, before[i]);
    }
    EXPECT_NE(now, 3u);
  }
}

TEST(IpHash, WeightsScaleTheShare) {
  auto b = make(BalanceKind::ip_hash, {{1, 3}, {2, 1}});
  int heavy = 0;
  for (int i = 0; i < 4000; ++i) heavy += pick(*b, {.client_ip = "172.16.0." + std::to_string(i)}) == 1;
  EXPECT_NEAR(heavy, 3000, 150);
}

TEST(P2c, LoadedBackendIsRarelyChosen) {
  auto b = make(BalanceKind::p2c, {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
  for (int i = 0; i < 20; ++i) b->on_start(1);
  std::map<BackendId, int> count;
  for (int i = 0; i < 3000; ++i) ++count[pick(*b)];
  printf("p2c: loaded backend %d of 3000 picks, others %d %d %d\n", count[1], count[2], count[3], count[4]);
  EXPECT_LT(count[1], 3000 * 5 / 100);
  for (BackendId id : {2, 3, 4}) EXPECT_NEAR(count[id], 1000, 150) << id;
}

TEST(P2c, BalancesOpenRequests) {
  auto b = make(BalanceKind::p2c, {{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}});
  for (int i = 0; i < 500; ++i) b->on_start(pick(*b));
  for (const Backend& be : b->backends()) EXPECT_NEAR(be.in_flight, 100, 5) << be.id;
}

TEST(P2c, SameSeedSameChoices) {
  auto a = make(BalanceKind::p2c, {{1, 1}, {2, 1}, {3, 1}});
  auto c = make(BalanceKind::p2c, {{1, 1}, {2, 1}, {3, 1}});
  for (int i = 0; i < 100; ++i) {
    BackendId x = pick(*a), y = pick(*c);
    ASSERT_EQ(x, y);
    a->on_start(x);
    c->on_start(y);
  }
}

TEST(LeastTime, TriesUntriedBackendsFirst) {
  BalancerOptions o;
  o.explore = 0;
  auto b = make(BalanceKind::least_time, {{1, 1}, {2, 1}, {3, 1}}, o);
  std::set<BackendId> seen;
  for (int i = 0; i < 3; ++i) {
    BackendId id = pick(*b);
    seen.insert(id);
    b->on_start(id);
    b->on_finish(id, id == 2 ? 1ms : 10ms, true);
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST(LeastTime, PrefersTheFastBackendAndStillProbes) {
  auto b = make(BalanceKind::least_time, {{1, 1}, {2, 1}, {3, 1}});
  auto latency = [](BackendId id) { return id == 2 ? 2ms : 20ms; };
  auto run = [&](int n) {
    std::map<BackendId, int> count;
    for (int i = 0; i < n; ++i) {
      BackendId id = pick(*b);
      ++count[id];
      b->on_start(id);
      b->on_finish(id, latency(id), true);
    }
    return count;
  };
  run(50);  // warm-up
  auto count = run(2000);
  printf("least_time: fast backend %d of 2000 picks, slow ones %d and %d (probes)\n", count[2], count[1], count[3]);
  EXPECT_GT(count[2], 2000 * 80 / 100);
  EXPECT_GT(count[1], 0);  // probes keep the slow ones measured
  EXPECT_GT(count[3], 0);
}

TEST(LeastTime, InFlightRequestsSpreadTheLoad) {
  BalancerOptions o;
  o.explore = 0;
  auto b = make(BalanceKind::least_time, {{1, 1}, {2, 1}}, o);
  b->on_start(1);
  b->on_finish(1, 2ms, true);
  b->on_start(2);
  b->on_finish(2, 5ms, true);
  // Open requests raise the expected wait: 2 ms x (k+1) passes 5 ms at k = 2,
  // and 5 ms x 2 passes 2 ms x 3 once b has one open.
  std::vector<BackendId> picks;
  for (int i = 0; i < 4; ++i) {
    BackendId id = pick(*b);
    picks.push_back(id);
    b->on_start(id);
  }
  EXPECT_EQ(picks, (std::vector<BackendId>{1, 1, 2, 1}));
}

TEST(LeastTime, FailuresMakeABackendLookSlow) {
  BalancerOptions o;
  o.explore = 0;
  auto b = make(BalanceKind::least_time, {{1, 1}, {2, 1}}, o);
  b->on_finish(1, 1ms, false);  // fails fast: counts as the 1 s penalty
  b->on_finish(2, 30ms, true);
  EXPECT_EQ(pick(*b), 2u);
}
