// The supervisor and the gateway together, with fake_vmm instances: start,
// serve, crash and restart, scale, drain, start timeout, scale from zero,
// health, shutdown.
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>

#include <set>
#include <thread>

#include "pool_harness.hpp"

namespace shoal::pool {
namespace {

using testing::fake_service;
using testing::PoolHarness;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(Supervisor, StartsInitialInstancesAndServesThroughTheGateway) {
  PoolHarness h({fake_service("hello", 2)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  EXPECT_EQ(h.count("hello", InstanceState::ready), 2u);
  for (const auto& i : h.rt("hello").service.instances) {
    EXPECT_GT(i->ready_ns, i->spawned_ns);
    EXPECT_GT(i->pid, 0);
  }
  auto a = h.get("/hello/x");
  EXPECT_EQ(a.status, 200) << a.raw;
  EXPECT_TRUE(contains(a.body, "hello from hello/")) << a.body;
  EXPECT_TRUE(contains(a.body, "path /x")) << a.body;
  // Both instances get requests (round robin).
  std::set<std::string> seen;
  for (int k = 0; k < 6; ++k) seen.insert(h.get("/hello/").body.substr(0, 18));  // "hello from hello/N"
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(h.rt("hello").series->cold_starts->value(), 2u);
  // Instance output reaches its log ring.
  h.run_until([&] { return h.rt("hello").service.instances[0]->runtime->log.lines().size() >= 2; });
  const auto& lines = h.rt("hello").service.instances[0]->runtime->log.lines();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_TRUE(contains(lines[0].text, "fake guest hello/0 starting"));
}

TEST(Supervisor, RestartsACrashedInstanceAndKeepsItsReport) {
  PoolHarness h({fake_service("svc", 1)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  uint64_t first_id = h.first("svc", InstanceState::ready)->id;
  // POST: not retried (a GET would be, and would crash the replacement too).
  auto a = h.request("POST", "/svc/crash");
  EXPECT_EQ(a.status, 502) << a.raw;  // the instance died mid-request
  ASSERT_TRUE(h.run_until([&] {
    Instance* i = h.first("svc", InstanceState::ready);
    return i && i->id != first_id;
  }));
  auto& rt = h.rt("svc");
  EXPECT_EQ(rt.restarts, 1u);
  EXPECT_EQ(rt.restarts_by_index[0], 1u);
  ASSERT_EQ(rt.exits.size(), 1u);
  const ExitRecord& e = rt.exits.back();
  EXPECT_EQ(e.id, first_id);
  EXPECT_FALSE(e.expected);
  EXPECT_EQ(e.exit_code, 139);
  EXPECT_EQ(e.status, "exit status 139 (guest crash: SIGSEGV)");
  ASSERT_FALSE(e.report.empty());
  EXPECT_EQ(e.report.back(), "fake guest: backtrace: main+42");
  EXPECT_EQ(h.first("svc", InstanceState::ready)->index, 0u);  // the replacement takes the same index
  EXPECT_EQ(h.get("/svc/again").status, 200);
}

TEST(Supervisor, ReplacesAMonitorKilledWithSigkill) {
  PoolHarness h({fake_service("svc", 2)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  Instance* victim = h.first("svc", InstanceState::ready);
  uint64_t victim_id = victim->id;
  uint64_t killed_at = EventLoop::now_ns();
  kill(victim->pid, SIGKILL);
  ASSERT_TRUE(h.run_until([&] {
    uint32_t ready = 0;
    for (const auto& i : h.rt("svc").service.instances)
      ready += i->state == InstanceState::ready && i->id != victim_id;
    return ready == 2;
  }));
  uint64_t replaced_ms = (EventLoop::now_ns() - killed_at) / 1000000;
  EXPECT_LT(replaced_ms, 2000u);
  ASSERT_EQ(h.rt("svc").exits.size(), 1u);
  EXPECT_EQ(h.rt("svc").exits.back().status, "killed by SIGKILL");
  EXPECT_EQ(h.rt("svc").exits.back().signal, SIGKILL);
  EXPECT_EQ(h.rt("svc").series->restarts->value(), 1u);
}

TEST(Supervisor, ScalesUpAndDrainsOnScaleDown) {
  PoolHarness h({fake_service("svc", 1)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  ASSERT_TRUE(h.supervisor->scale("svc", 3).ok());
  ASSERT_TRUE(h.run_until([&] { return h.count("svc", InstanceState::ready) == 3; }));
  ASSERT_TRUE(h.supervisor->scale("svc", 1).ok());
  ASSERT_TRUE(h.run_until([&] {
    return h.count("svc", InstanceState::ready) == 1 && h.count("svc", InstanceState::draining) == 0 &&
           h.rt("svc").exits.size() == 2;
  }));
  for (const auto& e : h.rt("svc").exits) {
    EXPECT_TRUE(e.expected);
    EXPECT_EQ(e.status, "stopped: scale-down (killed by SIGTERM)");
    EXPECT_GE(e.index, 1u);  // the newest indexes leave first
  }
  EXPECT_EQ(h.rt("svc").restarts, 0u);
  EXPECT_EQ(h.supervisor->scale("nope", 1).error().code, 404);
}

// A graceful stop: SIGTERM first (shoal-vmm forwards it to the program);
// a monitor still running after the service's stop_timeout gets SIGKILL.
TEST(Supervisor, SigkillsAfterTheStopTimeoutWhenSigtermIsIgnored) {
  spec::Service s = fake_service("svc", 1);
  s.env.push_back({"FAKE_IGNORE_TERM", "1"});
  s.stop_timeout = std::chrono::milliseconds(300);
  PoolHarness h({s});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  uint64_t asked = EventLoop::now_ns();
  ASSERT_TRUE(h.supervisor->scale("svc", 0).ok());
  ASSERT_TRUE(h.run_until([&] { return h.rt("svc").exits.size() == 1; }));
  uint64_t ms = (EventLoop::now_ns() - asked) / 1000000;
  EXPECT_GE(ms, 300u);
  EXPECT_EQ(h.rt("svc").exits.back().status, "stopped: scale-down (killed by SIGKILL)");
}

TEST(Supervisor, DrainWaitsForTheRequestInFlight) {
  PoolHarness h({fake_service("svc", 1)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  uint16_t port = h.port();
  auto slow = std::async(std::launch::async, [port] { return testing::http_request(port, "GET", "/svc/slow/300"); });
  ASSERT_TRUE(h.run_until([&] { return h.first("svc", InstanceState::ready) && h.first("svc", InstanceState::ready)->in_flight == 1; }));
  ASSERT_TRUE(h.supervisor->scale("svc", 0).ok());
  EXPECT_EQ(h.count("svc", InstanceState::draining), 1u);
  // New requests are refused meanwhile (scaled to zero by hand).
  EXPECT_EQ(h.get("/svc/x").status, 503);
  ASSERT_TRUE(h.run_until([&] { return slow.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
  auto a = slow.get();
  EXPECT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, "slow answer\n");
  ASSERT_TRUE(h.run_until([&] { return h.rt("svc").exits.size() == 1; }));
  EXPECT_TRUE(h.rt("svc").exits.back().expected);
}

TEST(Supervisor, KillsAnInstanceThatNeverListens) {
  auto svc = fake_service("svc", 1);
  svc.env = {{"FAKE_NEVER_LISTEN", "1"}};
  PoolHarness h({svc}, [](SupervisorConfig& c) { c.start_timeout = std::chrono::milliseconds(150); });
  ASSERT_TRUE(h.run_until([&] { return h.rt("svc").exits.size() >= 2; }));
  EXPECT_FALSE(h.rt("svc").exits.front().expected);
  EXPECT_GE(h.rt("svc").restarts, 2u);
  EXPECT_EQ(h.count("svc", InstanceState::ready), 0u);
}

TEST(Supervisor, BacksOffAnInstanceThatCrashesAtStart) {
  auto svc = fake_service("svc", 1);
  svc.env = {{"FAKE_EXIT_AT_START", "134"}};
  svc.restart.initial = std::chrono::milliseconds(20);
  svc.restart.factor = 2;
  PoolHarness h({svc});
  h.run_for(400);
  // 20 + 40 + 80 + 160 ms: about five starts in 400 ms, not hundreds.
  auto& rt = h.rt("svc");
  EXPECT_GE(rt.restarts, 3u);
  EXPECT_LE(rt.restarts, 7u);
  ASSERT_FALSE(rt.exits.empty());
  EXPECT_EQ(rt.exits.back().status, "exit status 134 (guest abort: SIGABRT)");
  EXPECT_EQ(rt.exits.back().report.back(), "fake guest: backtrace: _start+7");
}

TEST(Supervisor, ScalesFromZeroWhenARequestArrivesAndBackToZero) {
  auto svc = fake_service("lazy", 0);
  policy::AutoscaleConfig a;
  a.min_instances = 0;
  a.max_instances = 3;
  a.initial_instances = 0;
  a.target = 10;
  a.scale_to_zero_after = std::chrono::milliseconds(300);
  a.stable_window = std::chrono::seconds(1);
  a.panic_window = std::chrono::milliseconds(200);
  svc.autoscale = a;
  svc.min_instances = 0;
  svc.max_instances = 3;
  svc.initial_instances = 0;
  PoolHarness h({svc});
  h.run_for(100);
  EXPECT_EQ(h.rt("lazy").service.instances.size(), 0u);
  auto r = h.get("/lazy/wake");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(h.rt("lazy").series->activations->value(), 1u);
  EXPECT_EQ(h.count("lazy", InstanceState::ready), 1u);
  // Idle past scale_to_zero_after: back to zero.
  ASSERT_TRUE(h.run_until([&] { return h.rt("lazy").service.instances.empty(); }, 5000));
  EXPECT_TRUE(h.rt("lazy").exits.back().expected);
}

TEST(Supervisor, ActiveHealthChecksTakeAnInstanceOut) {
  auto svc = fake_service("svc", 2);
  svc.health = spec::HealthCheck{"/healthz", {}};
  svc.health->config.interval = std::chrono::milliseconds(30);
  svc.health->config.timeout = std::chrono::milliseconds(500);
  svc.health->config.fall = 2;
  svc.health->config.rise = 1;
  PoolHarness h({svc});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  auto sick = h.get("/svc/fail-health");
  ASSERT_EQ(sick.status, 200);
  ASSERT_TRUE(h.run_until([&] {
    for (const auto& i : h.rt("svc").service.instances)
      if (i->state == InstanceState::ready && !i->healthy) return true;
    return false;
  }));
  EXPECT_EQ(h.rt("svc").series->active_health_failures->value(), 1u);
  Instance* healthy = nullptr;
  for (const auto& i : h.rt("svc").service.instances)
    if (i->healthy) healthy = i.get();
  ASSERT_NE(healthy, nullptr);
  // Every request now goes to the healthy one.
  for (int k = 0; k < 4; ++k) {
    auto a = h.get("/svc/");
    EXPECT_TRUE(contains(a.body, "pid " + std::to_string(healthy->pid))) << a.body;
  }
}

TEST(Supervisor, PassiveHealthCountsFailedRequests) {
  auto svc = fake_service("svc", 1);
  svc.passive_health.max_errors = 3;
  svc.passive_health.cooldown = std::chrono::milliseconds(100);
  PoolHarness h({svc});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  Service& s = h.rt("svc").service;
  for (int k = 0; k < 3; ++k) {
    Pick p = h.supervisor->pick(s, RequestKey{});
    ASSERT_EQ(p.kind, Pick::instance);
    h.supervisor->finish(s, *p.chosen, 1000, 502, false);
  }
  Instance* i = h.first("svc", InstanceState::ready);
  EXPECT_FALSE(i->healthy);
  EXPECT_EQ(h.supervisor->pick(s, RequestKey{}).kind, Pick::wait);
  // After the cool-down it is back (on probation).
  ASSERT_TRUE(h.run_until([&] { return i->healthy; }, 2000));
  EXPECT_EQ(h.supervisor->pick(s, RequestKey{}).kind, Pick::instance);
}

TEST(Supervisor, RetryExcludesTheFailedInstance) {
  PoolHarness h({fake_service("svc", 2)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  Service& s = h.rt("svc").service;
  for (int k = 0; k < 4; ++k) {
    Pick first = h.supervisor->pick(s, RequestKey{});
    ASSERT_EQ(first.kind, Pick::instance);
    Pick retry = h.supervisor->pick(s, RequestKey{}, first.chosen);
    ASSERT_EQ(retry.kind, Pick::instance);
    EXPECT_NE(retry.chosen, first.chosen);
    h.supervisor->finish(s, *first.chosen, 1000, 502, false);
    h.supervisor->finish(s, *retry.chosen, 1000, 200, true);
  }
  EXPECT_TRUE(h.supervisor->may_retry(s));
}

TEST(Supervisor, ConcurrencyCapQueuesThenRefuses) {
  auto svc = fake_service("svc", 1);
  svc.max_concurrency = 1;
  svc.queue = 1;
  PoolHarness h({svc});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  uint16_t port = h.port();
  auto first = std::async(std::launch::async, [port] { return testing::http_request(port, "GET", "/svc/slow/300"); });
  ASSERT_TRUE(h.run_until([&] { return h.first("svc", InstanceState::ready)->in_flight == 1; }));
  auto second = std::async(std::launch::async, [port] { return testing::http_request(port, "GET", "/svc/queued"); });
  ASSERT_TRUE(h.run_until([&] { return h.rt("svc").waiting == 1; }));
  // The queue (1) is full: the next one is refused at once.
  auto third = h.get("/svc/refused");
  EXPECT_EQ(third.status, 503) << third.raw;
  ASSERT_TRUE(h.run_until([&] {
    return first.wait_for(std::chrono::seconds(0)) == std::future_status::ready &&
           second.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }));
  EXPECT_EQ(first.get().status, 200);
  auto queued = second.get();
  EXPECT_EQ(queued.status, 200) << queued.raw;
  EXPECT_TRUE(contains(queued.body, "path /queued")) << queued.body;
  EXPECT_EQ(h.rt("svc").waiting, 0u);
}

// Regression: without max_concurrency an instance still carries at most one
// request per gateway slot of its channel; the rest wait in the queue (and
// are counted as waiting, the autoscaler's demand) instead of getting 503.
TEST(Supervisor, ChannelSlotsCapAnInstanceAndTheRestQueue) {
  auto svc = fake_service("svc", 1);
  svc.channel_slots = 4;  // two gateway slots
  svc.queue = 16;
  PoolHarness h({svc});
  EXPECT_EQ(h.rt("svc").service.max_concurrency, 2u);
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  uint16_t port = h.port();
  std::vector<std::future<testing::HttpAnswer>> calls;
  for (int k = 0; k < 6; ++k)
    calls.push_back(std::async(std::launch::async, [port] { return testing::http_request(port, "GET", "/svc/slow/200"); }));
  uint32_t most_waiting = 0;
  ASSERT_TRUE(h.run_until([&] {
    most_waiting = std::max(most_waiting, h.rt("svc").waiting);
    for (auto& c : calls)
      if (c.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    return true;
  }));
  for (auto& c : calls) {
    auto r = c.get();
    EXPECT_EQ(r.status, 200) << r.raw;
  }
  EXPECT_GE(most_waiting, 1u);
  EXPECT_EQ(h.rt("svc").waiting, 0u);
}

// First in, first out: while requests wait for a service, a new one does not
// take capacity that freed before the waiting ones were offered it.
TEST(Supervisor, NewRequestsQueueBehindWaitingOnes) {
  PoolHarness h({fake_service("svc", 1)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  Service& s = h.rt("svc").service;
  h.supervisor->set_waiting(s, 1);  // the gateway holds one
  EXPECT_EQ(h.supervisor->pick(s, RequestKey{}).kind, Pick::wait);
  h.supervisor->set_waiting(s, 0);
  Pick p = h.supervisor->pick(s, RequestKey{});
  ASSERT_EQ(p.kind, Pick::instance);
  h.supervisor->cancel(s, *p.chosen);
  EXPECT_EQ(p.chosen->in_flight, 0u);
}

TEST(Supervisor, ShutdownDrainsEverything) {
  PoolHarness h({fake_service("a", 2), fake_service("b", 1)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  bool done = false;
  h.supervisor->shutdown(std::chrono::seconds(2), [&] { done = true; });
  EXPECT_EQ(h.supervisor->pick(h.rt("a").service, RequestKey{}).kind, Pick::reject);
  ASSERT_TRUE(h.run_until([&] { return done; }));
  for (const char* name : {"a", "b"}) {
    for (const auto& i : h.rt(name).service.instances) EXPECT_EQ(i->state, InstanceState::exited);
    for (const auto& e : h.rt(name).exits) EXPECT_EQ(e.status, "stopped: shutdown (killed by SIGTERM)");
  }
}

TEST(Supervisor, MetricsCountRequestsAndInstances) {
  PoolHarness h({fake_service("svc", 1)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  for (int k = 0; k < 3; ++k) EXPECT_EQ(h.get("/svc/").status, 200);
  h.run_for(20);
  h.supervisor->update_gauges();
  std::string text = h.metrics().render();
  EXPECT_TRUE(contains(text, "shoal_requests_total{service=\"svc\",code=\"200\"} 3")) << text;
  EXPECT_TRUE(contains(text, "shoal_instances{service=\"svc\",state=\"ready\"} 1")) << text;
  EXPECT_TRUE(contains(text, "shoal_cold_starts_total{service=\"svc\"} 1")) << text;
  EXPECT_TRUE(contains(text, "shoal_cold_start_duration_seconds_count{service=\"svc\",kind=\"boot\"} 1")) << text;
  EXPECT_TRUE(contains(text, "shoal_request_duration_seconds_count{service=\"svc\"} 3")) << text;
}

}  // namespace
}  // namespace shoal::pool

namespace shoal::pool {
namespace {

size_t open_fds() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

// Issue 13 (density): an instance costs shoald one descriptor (its channel's
// to_guest eventfd). Exits, console output and the guest's kicks are
// watched through a constant number (MonitorWatch, EventLoop::add_detached);
// before, five: a pidfd, two pipes, two eventfds.
TEST(Supervisor, AnInstanceCostsShoaldOneDescriptor) {
  PoolHarness h({fake_service("fds", 2)});
  ASSERT_TRUE(h.run_until([&] { return h.count("fds", InstanceState::ready) == 2; }, 20000));
  h.run_for(50);
  size_t base = open_fds();
  ASSERT_TRUE(h.supervisor->scale("fds", 52));
  ASSERT_TRUE(h.run_until([&] { return h.count("fds", InstanceState::ready) == 52; }, 60000));
  h.run_for(50);
  size_t after = open_fds();
  EXPECT_LE(after, base + 50) << base << " descriptors with 2 instances, " << after << " with 52";
  // They still answer (their kicks reach shoald, their output is kept).
  for (int k = 0; k < 52; ++k) ASSERT_EQ(h.get("/fds/").status, 200);
}

// Issue 13: starting many instances at once must not stop the loop. The
// supervisor used to spawn every instance in one callback (and looked for
// the lowest free index by scanning all of them for each candidate); a 1 ms
// timer now stays on time while 300 start, and each of them answers.
TEST(Supervisor, MassStartKeepsTheLoopAnswering) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;  // client connections besides one descriptor per instance
  setrlimit(RLIMIT_NOFILE, &rl);
  constexpr uint32_t kMany = 300;
  // Declared before the harness, which runs the loop once more when destroyed.
  uint64_t worst_gap = 0, last = 0;
  bool watching = true;
  std::function<void()> watch;
  PoolHarness h({fake_service("many", kMany)}, [](SupervisorConfig& c) { c.start_timeout = std::chrono::seconds(120); });
  last = EventLoop::now_ns();
  watch = [&] {
    uint64_t now = EventLoop::now_ns();
    worst_gap = std::max(worst_gap, now - last);
    last = now;
    if (watching) h.loop().after(1'000'000, watch);
  };
  h.loop().after(1'000'000, watch);
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }, 120000));
  watching = false;
  EXPECT_EQ(h.count("many", InstanceState::ready), kMany);
  // A slice of spawning is 4 ms; a loaded machine may add some, not the
  // ~1 ms per spawn x 300 of one callback.
  EXPECT_LT(worst_gap, 150'000'000u) << "the loop stalled " << worst_gap / 1000000 << " ms";
  std::set<uint32_t> indexes;
  for (const auto& i : h.rt("many").service.instances) indexes.insert(i->index);
  EXPECT_EQ(indexes.size(), kMany);
  EXPECT_EQ(*indexes.rbegin(), kMany - 1);  // 0..299, each once
  // Round robin: each instance answers once in kMany requests.
  std::set<std::string> answered;
  for (uint32_t k = 0; k < kMany; ++k) {
    auto a = h.get("/many/");
    ASSERT_EQ(a.status, 200) << a.raw;
    answered.insert(a.body.substr(0, a.body.find(' ', 11)));  // "hello from many/N"
  }
  EXPECT_EQ(answered.size(), kMany);
}

}  // namespace
}  // namespace shoal::pool
