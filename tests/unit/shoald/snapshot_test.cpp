// Starting instances from snapshots (issue 13) with fake_vmm, which saves
// and resumes snapshots of its own format the way shoal-vmm's command line
// asks (fake_vmm.cpp): the first instance boots and saves, the others resume,
// warm monitors are taken and refilled, a cached snapshot is reused, a bad
// one falls back to boot, start = "boot" boots every time.
#include <stdio.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "pool_harness.hpp"

namespace shoal::pool {
namespace {

using testing::fake_service;
using testing::PoolHarness;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

spec::Service snapshot_service(const std::string& name, uint32_t instances, uint32_t warm) {
  spec::Service c = fake_service(name, instances);
  c.start = spec::StartMode::snapshot;
  c.warm = warm;
  c.ready = "port:8080";
  return c;
}

std::map<StartKind, int> kinds(PoolHarness& h, const std::string& name) {
  std::map<StartKind, int> n;
  for (const auto& i : h.rt(name).service.instances)
    if (i->state == InstanceState::ready) ++n[i->runtime->start_kind];
  return n;
}

// Ready instances started from the snapshot, by a new monitor or a warm one:
// which of the two a start gets depends on whether the start queue reached
// it before a warm monitor was ready.
int resumed(PoolHarness& h, const std::string& name) {
  auto n = kinds(h, name);
  return n[StartKind::snapshot] + n[StartKind::warm];
}

// The count of shoal_cold_start_duration_seconds for one kind (0: none).
int cold_starts(const std::string& metrics, const std::string& service, const std::string& kind) {
  std::string key = "shoal_cold_start_duration_seconds_count{service=\"" + service + "\",kind=\"" + kind + "\"} ";
  size_t at = metrics.find(key);
  return at == std::string::npos ? 0 : atoi(metrics.c_str() + at + key.size());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A snapshot directory that outlives one harness (for reuse across pools).
struct SharedDir {
  SharedDir() {
    char tmpl[] = "/tmp/shoald-snapcache-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~SharedDir() { std::filesystem::remove_all(path); }
  std::string path;
};

TEST(SnapshotStart, FirstInstanceBootsAndSavesTheOthersResume) {
  PoolHarness h({snapshot_service("svc", 3, 1)});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  auto n = kinds(h, "svc");
  EXPECT_EQ(n[StartKind::boot], 1);
  EXPECT_EQ(resumed(h, "svc"), 2);
  const SnapshotCache& snaps = h.supervisor->snapshots();
  uint32_t index = h.rt("svc").service.index;
  EXPECT_EQ(snaps.state(index), SnapshotCache::State::ready);
  const std::string& file = snaps.path(index);
  EXPECT_EQ(file.rfind(h.snapshot_dir() + "/svc-", 0), 0u) << file;
  EXPECT_TRUE(check_snapshot_file(file).ok());
  EXPECT_TRUE(contains(read_file(file), "SHOAL_SERVICE=svc\n"));
  // Every one answers; a resumed one answers with the maker's environment.
  for (int k = 0; k < 6; ++k) {
    auto a = h.get("/svc/x");
    EXPECT_EQ(a.status, 200) << a.raw;
    EXPECT_TRUE(contains(a.body, "hello from svc/")) << a.body;
  }
  // One warm monitor waits; a scale-up takes it, and it is refilled.
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->warm_count(h.rt("svc")) == 1; }));
  int warm_before = kinds(h, "svc")[StartKind::warm];
  ASSERT_TRUE(h.supervisor->scale("svc", 4).ok());
  ASSERT_TRUE(h.run_until([&] { return h.count("svc", InstanceState::ready) == 4; }));
  EXPECT_EQ(kinds(h, "svc")[StartKind::warm], warm_before + 1);
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->warm_count(h.rt("svc")) == 1; }));
  // The cold-start histogram is split by how instances started.
  h.supervisor->update_gauges();
  std::string text = h.metrics().render();
  EXPECT_EQ(cold_starts(text, "svc", "boot"), 1) << text;
  EXPECT_EQ(cold_starts(text, "svc", "snapshot") + cold_starts(text, "svc", "warm"), 3) << text;
  EXPECT_GE(cold_starts(text, "svc", "warm"), 1) << text;
  EXPECT_TRUE(contains(text, "shoal_warm_monitors{service=\"svc\"} 1")) << text;
}

TEST(SnapshotStart, ACachedSnapshotIsReusedByTheNextPool) {
  SharedDir dir;
  auto use_dir = [&](SupervisorConfig& sc) { sc.snapshot_dir = dir.path; };
  std::string file;
  {
    PoolHarness h({snapshot_service("svc", 1, 0)}, use_dir);
    ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
    ASSERT_TRUE(h.run_until([&] {
      return h.supervisor->snapshots().state(0) == SnapshotCache::State::ready;
    }));
    file = h.supervisor->snapshots().path(0);
  }
  PoolHarness h({snapshot_service("svc", 2, 1)}, use_dir);
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  EXPECT_EQ(h.supervisor->snapshots().path(0), file);
  // Nothing boots: each resumes, through a warm monitor if one was ready
  // by the time the start queue reached it.
  EXPECT_EQ(kinds(h, "svc")[StartKind::snapshot] + kinds(h, "svc")[StartKind::warm], 2);
  EXPECT_EQ(h.get("/svc/").status, 200);
  // Its warm monitor is started from the beginning too.
  EXPECT_TRUE(h.run_until([&] { return h.supervisor->warm_count(h.rt("svc")) == 1; }));
  // Another environment is another snapshot: the key covers it.
  auto other = snapshot_service("svc", 1, 0);
  other.env.emplace_back("MODE", "other");
  PoolHarness h2({other}, use_dir);
  ASSERT_TRUE(h2.run_until([&] { return h2.supervisor->initial_ready(); }));
  EXPECT_EQ(kinds(h2, "svc")[StartKind::boot], 1);
  EXPECT_NE(h2.supervisor->snapshots().path(0), file);
}

TEST(SnapshotStart, ScaleFromZeroTakesAWarmMonitor) {
  auto svc = snapshot_service("lazy", 0, 1);
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
  PoolHarness h({svc});
  // A service at zero has its snapshot made ahead of its first request (a
  // monitor that saves and exits), then a warm monitor waits on it.
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->warm_count(h.rt("lazy")) == 1; }));
  EXPECT_EQ(h.rt("lazy").service.instances.size(), 0u);
  EXPECT_EQ(h.supervisor->snapshots().state(0), SnapshotCache::State::ready);
  // Each request from zero takes the warm monitor, and it is refilled.
  for (int round = 0; round < 2; ++round) {
    auto r = h.get("/lazy/x");
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(kinds(h, "lazy")[StartKind::warm], 1);
    EXPECT_EQ(kinds(h, "lazy")[StartKind::boot], 0);
    ASSERT_TRUE(h.run_until([&] { return h.rt("lazy").service.instances.empty(); }, 5000));
    ASSERT_TRUE(h.run_until([&] { return h.supervisor->warm_count(h.rt("lazy")) == 1; }));
  }
  EXPECT_EQ(h.rt("lazy").series->activations->value(), 2u);
}

// Makes the cached snapshot of a one-service pool in `dir`; its path.
std::string make_cached_snapshot(const std::function<void(SupervisorConfig&)>& use_dir) {
  PoolHarness h({snapshot_service("svc", 1, 0)}, use_dir);
  EXPECT_TRUE(h.run_until([&] { return h.supervisor->snapshots().state(0) == SnapshotCache::State::ready; }));
  return h.supervisor->snapshots().path(0);
}

TEST(SnapshotStart, ARequestDuringTheSnapshotMadeAheadWaitsForIt) {
  auto svc = snapshot_service("lazy", 0, 0);
  policy::AutoscaleConfig a;
  a.min_instances = 0;
  a.max_instances = 2;
  a.initial_instances = 0;
  svc.autoscale = a;
  svc.min_instances = 0;
  svc.max_instances = 2;
  svc.env.emplace_back("FAKE_START_DELAY_MS", "300");  // the maker boots slowly
  PoolHarness h({svc});
  EXPECT_EQ(h.supervisor->snapshots().state(0), SnapshotCache::State::making);
  auto r = h.get("/lazy/x");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(kinds(h, "lazy")[StartKind::snapshot], 1);  // resumed once saved, not booted
  EXPECT_EQ(kinds(h, "lazy")[StartKind::boot], 0);
}

TEST(SnapshotStart, AWarmedUpMonitorIsReadyTheMomentItIsTaken) {
  auto svc = snapshot_service("svc", 1, 1);
  svc.warm_up = "/healthz";
  PoolHarness h({svc});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->warm_count(h.rt("svc")) == 1; }));
  h.run_for(100);  // its warm-up request: resumed, listening, answered
  ASSERT_TRUE(h.supervisor->scale("svc", 2).ok());
  // The start queue runs it on the next loop iteration; it is ready in the
  // same step it is taken (it listened already), with no readiness poll.
  ASSERT_TRUE(h.run_until([&] { return h.count("svc", InstanceState::ready) == 2u; }, 1000));
  EXPECT_EQ(kinds(h, "svc")[StartKind::warm], 1);
  for (const auto& i : h.rt("svc").service.instances) {
    if (i->runtime->start_kind == StartKind::warm) {
      EXPECT_LT(i->ready_ns - i->spawned_ns, 2'000'000u);
    }
  }
  for (int k = 0; k < 4; ++k) EXPECT_EQ(h.get("/svc/").status, 200);
}

TEST(SnapshotStart, ACachedSnapshotWithABadHeaderIsRemovedAndMadeAgain) {
  SharedDir dir;
  auto use_dir = [&](SupervisorConfig& sc) { sc.snapshot_dir = dir.path; };
  std::string file = make_cached_snapshot(use_dir);
  // Damage its magic, as a disk error or a partial copy would.
  std::ofstream(file, std::ios::binary | std::ios::in | std::ios::out).write("XX", 2);
  ::testing::internal::CaptureStderr();
  {
    PoolHarness h({snapshot_service("svc", 2, 1)}, use_dir);
    EXPECT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
    EXPECT_EQ(h.get("/svc/").status, 200);
    EXPECT_EQ(kinds(h, "svc")[StartKind::boot], 1);
    EXPECT_EQ(resumed(h, "svc"), 1);  // from the new file
    EXPECT_TRUE(check_snapshot_file(file).ok());
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "services.svc: the cached snapshot is not valid (" + file +
                            ": snapshot: bad magic (not a snapshot file)); "
                            "removing it, the first instance boots and makes a new one"))
      << err;
}

TEST(SnapshotStart, ASnapshotTheMonitorRefusesFallsBackToBootWithALogLine) {
  SharedDir dir;
  auto use_dir = [&](SupervisorConfig& sc) { sc.snapshot_dir = dir.path; };
  std::string file = make_cached_snapshot(use_dir);
  // A header that passes shoald's check, a body the monitor refuses (as a
  // snapshot from an incompatible build or CPU would be refused).
  std::ofstream(file, std::ios::app) << "garbage\n";
  ::testing::internal::CaptureStderr();
  {
    PoolHarness h({snapshot_service("svc", 2, 1)}, use_dir);
    EXPECT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
    EXPECT_EQ(h.get("/svc/").status, 200);
    // Booted, saved again, and the new file resumes.
    EXPECT_TRUE(h.run_until([&] { return h.supervisor->snapshots().state(0) == SnapshotCache::State::ready; }));
    EXPECT_EQ(read_file(file).find("garbage"), std::string::npos);
    EXPECT_GE(kinds(h, "svc")[StartKind::boot], 1);
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "services.svc: cannot start from " + file + " (")) << err;
  EXPECT_TRUE(contains(err, "exit status 1")) << err;
  EXPECT_TRUE(contains(err, "not a valid snapshot")) << err;
  EXPECT_TRUE(contains(err, "the next instance boots and makes a new snapshot")) << err;
}

TEST(SnapshotStart, AnInvalidSpecSnapshotIsAStartError) {
  SharedDir dir;
  std::string file = dir.path + "/given.snap";
  std::ofstream(file) << "not a snapshot";
  auto svc = snapshot_service("svc", 1, 0);
  svc.snapshot_path = file;
  auto loop_owner = EventLoop::create().value();  // outlives the supervisor
  EventLoop& loop = *loop_owner;
  auto metrics = PoolMetrics::create().value();
  spec::Spec spec;
  spec.file = "test.toml";
  spec.services = {svc};
  SupervisorConfig sc;
  sc.vmm_path = FAKE_VMM_PATH;
  Supervisor sup(loop, spec, sc, *metrics);
  auto r = sup.start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "test.toml: services.svc.snapshot: " + file + ": snapshot: truncated: 14 bytes, no header");
}

TEST(SnapshotStart, NoReadyPointMeansEveryInstanceBoots) {
  auto svc = snapshot_service("svc", 2, 1);
  svc.env.emplace_back("FAKE_NO_SAVE", "1");
  ::testing::internal::CaptureStderr();
  {
    PoolHarness h({svc});
    // The second start waits for the snapshot only until the maker listens.
    ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }, 3000));
    EXPECT_EQ(kinds(h, "svc")[StartKind::boot], 2);
    EXPECT_TRUE(h.run_until([&] { return h.supervisor->snapshots().state(0) == SnapshotCache::State::failed; }, 4000));
    EXPECT_EQ(h.supervisor->warm_count(h.rt("svc")), 0u);
    ASSERT_TRUE(h.supervisor->scale("svc", 3).ok());
    ASSERT_TRUE(h.run_until([&] { return h.count("svc", InstanceState::ready) == 3; }));
    EXPECT_EQ(kinds(h, "svc")[StartKind::boot], 3);
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "no snapshot 2 s after its first instance listened")) << err;
}

TEST(SnapshotStart, StartBootBootsEveryInstance) {
  auto svc = fake_service("svc", 3);  // start = "boot"
  PoolHarness h({svc});
  ASSERT_TRUE(h.run_until([&] { return h.supervisor->initial_ready(); }));
  EXPECT_EQ(kinds(h, "svc")[StartKind::boot], 3);
  h.run_for(50);
  EXPECT_EQ(h.supervisor->warm_count(h.rt("svc")), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(h.snapshot_dir()));
  // Every instance has its own SHOAL_INSTANCE (it booted with it).
  std::set<std::string> seen;
  for (int k = 0; k < 6; ++k) seen.insert(h.get("/svc/").body.substr(0, 16));  // "hello from svc/N"
  EXPECT_EQ(seen.size(), 3u);
}

}  // namespace
}  // namespace shoal::pool

namespace shoal::pool {
namespace {

TEST(SnapshotKey, CoversWhatASnapshotFixes) {
  spec::Service s = snapshot_service("svc", 1, 1);
  ChannelConfig cc;
  cc.services = {{"svc", 0x0100004d}};
  std::string base = snapshot_key(s, "image-a", "vmm-a", cc);
  EXPECT_EQ(base.size(), 32u);
  EXPECT_EQ(snapshot_key(s, "image-a", "vmm-a", cc), base);  // stable
  EXPECT_NE(snapshot_key(s, "image-b", "vmm-a", cc), base);
  EXPECT_NE(snapshot_key(s, "image-a", "vmm-b", cc), base);
  auto changed = [&](auto edit) {
    spec::Service t = s;
    ChannelConfig c = cc;
    edit(t, c);
    return snapshot_key(t, "image-a", "vmm-a", c) != base;
  };
  EXPECT_TRUE(changed([](spec::Service& t, ChannelConfig&) { t.memory = 64 << 20; }));
  EXPECT_TRUE(changed([](spec::Service& t, ChannelConfig&) { t.port = 9090; }));
  EXPECT_TRUE(changed([](spec::Service& t, ChannelConfig&) { t.env.emplace_back("A", "1"); }));
  EXPECT_TRUE(changed([](spec::Service& t, ChannelConfig&) { t.args.push_back("--x"); }));
  EXPECT_TRUE(changed([](spec::Service& t, ChannelConfig&) { t.ready = "listen"; }));
  EXPECT_TRUE(changed([](spec::Service& t, ChannelConfig&) { t.name = "other"; }));
  EXPECT_TRUE(changed([](spec::Service&, ChannelConfig& c) { c.slot_count = c.slot_count == 64 ? 128 : 64; }));
  EXPECT_TRUE(changed([](spec::Service&, ChannelConfig& c) { c.services.push_back({"b", 0x0200004d}); }));
  // Fields separated: ("ab","c") and ("a","bc") differ.
  EXPECT_NE(snapshot_key(s, "ab", "c", cc), snapshot_key(s, "a", "bc", cc));
  // What a start does not fix in guest memory is not in it.
  EXPECT_FALSE(changed([](spec::Service& t, ChannelConfig&) { t.warm = 5; }));
  EXPECT_FALSE(changed([](spec::Service& t, ChannelConfig&) { t.initial_instances = 7; }));
}

}  // namespace
}  // namespace shoal::pool
