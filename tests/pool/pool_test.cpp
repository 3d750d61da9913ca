// Whole pools on KVM, driven through the CLI as a user would: real shoald,
// real shoal-vmm instances of static HTTP servers (examples/shop's hello and
// tests/pool's crashy). Prints the numbers it measures (replacement after
// kill -9, cold start from zero).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <shoal/image/snapshot.hpp>

#include "pool_client.hpp"

namespace {

using nlohmann::json;
using shoal::test::Answer;
using shoal::test::CommandResult;
using shoal::test::free_port;
using shoal::test::http;
using shoal::test::run;

double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// GET /v1/status straight over the control socket (no CLI process: cheap
// enough to poll every few milliseconds under load).
json control_status(const std::string& socket_path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, socket_path.c_str(), sizeof a.sun_path - 1);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return json();
  }
  std::string req = "GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string raw;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t body = raw.find("\r\n\r\n");
  if (body == std::string::npos) return json();
  return json::parse(raw.substr(body + 4), nullptr, false);
}

// Running, and not a zombie: after `up -d` shoald is nobody's child here, and
// whoever adopts it may reap it late.
bool alive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || (stat[paren + 2] != 'Z' && stat[paren + 2] != 'X');
}

class Pool : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/kvm";
    char tmpl[] = "/tmp/shoal-pool-test-XXXXXX";
    m_dir = mkdtemp(tmpl);
    m_socket = m_dir + "/pool.sock";
    m_port = free_port();
    setenv("XDG_RUNTIME_DIR", m_dir.c_str(), 1);  // up -d's log goes there
    setenv("XDG_CACHE_HOME", (m_dir + "/cache").c_str(), 1);  // and shoald's snapshots here
    unsetenv("SHOAL_VMM");
  }

  void TearDown() override {
    // Whatever happened, the pool ends: shoald is killed if still there and
    // its monitors die with it (PR_SET_PDEATHSIG).
    if (m_pid > 0 && alive(m_pid)) {
      kill(m_pid, SIGKILL);
      for (int k = 0; k < 100 && alive(m_pid); ++k) usleep(10000);
    }
    if (!m_dir.empty()) run("rm -rf " + m_dir);
  }

  // Writes the spec: the gateway on a free port, the control socket in the
  // test's directory, then `services` (TOML) and a route to `route_to`.
  std::string write_spec(const std::string& services, const std::string& route_to) {
    std::string path = m_dir + "/pool.toml";
    std::ofstream(path) << "name = \"pooltest\"\n[gateway]\nlisten = \"127.0.0.1:" << m_port << "\"\n"
                        << "control = \"" << m_socket << "\"\nhold_timeout = \"10s\"\n"
                        << services << "\n[[routes]]\npath = \"/\"\nservice = \"" << route_to << "\"\n";
    return path;
  }

  void up(const std::string& spec) {
    CommandResult r = run(std::string(SHOAL_CLI_PATH) + " up -d " + spec + " --ready-timeout 30");
    ASSERT_EQ(r.status, 0) << r.output;
    size_t log = r.output.find("  log     ");
    if (log != std::string::npos) m_log = r.output.substr(log + 10, r.output.find('\n', log) - log - 10);
    size_t at = r.output.find("pid ");
    ASSERT_NE(at, std::string::npos) << r.output;
    m_pid = atoi(r.output.c_str() + at + 4 + strspn(r.output.c_str() + at + 4, " "));
    ASSERT_GT(m_pid, 0);
  }

  std::string cli(const std::string& args) { return std::string(SHOAL_CLI_PATH) + " " + args + " -c " + m_socket; }

  json status() {
    CommandResult r = run(cli("ps --json"));
    if (r.status != 0) return json();
    return json::parse(r.output, nullptr, false);
  }

  // Polls the status every 5 ms until pred holds; false after timeout_ms.
  template <typename Pred>
  bool wait_status(Pred pred, double timeout_ms) {
    double until = now_ms() + timeout_ms;
    while (now_ms() < until) {
      json s = status();
      if (s.is_object() && pred(s)) return true;
      usleep(5000);
    }
    return false;
  }

  void down() {
    CommandResult r = run(cli("down --timeout 30"));
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "pool stopped")) << r.output;
    EXPECT_FALSE(alive(m_pid)) << "shoald still running";
  }

  std::string m_dir, m_socket, m_log;
  uint16_t m_port = 0;
  pid_t m_pid = -1;
};

TEST_F(Pool, UpServeScaleKillLogsDown) {
  up(write_spec("[services.hello]\nimage = \"" HELLO_IMAGE "\"\nmemory = \"32M\"\ninitial = 1\n"
                "min_instances = 1\nmax_instances = 4\n",
                "hello"));
  Answer a = http(m_port, "GET", "/");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "hello, world\n");

  CommandResult ps = run(cli("ps"));
  ASSERT_EQ(ps.status, 0) << ps.output;
  EXPECT_TRUE(contains(ps.output, "pooltest: 1 service, 1/1 ready")) << ps.output;
  EXPECT_TRUE(contains(ps.output, "hello/0")) << ps.output;

  CommandResult scale = run(cli("scale hello 3 --wait --timeout 30"));
  ASSERT_EQ(scale.status, 0) << scale.output;
  ps = run(cli("ps"));
  EXPECT_TRUE(contains(ps.output, "1 service, 3/3 ready")) << ps.output;
  for (const char* name : {"hello/0", "hello/1", "hello/2"}) EXPECT_TRUE(contains(ps.output, name)) << ps.output;
  for (int k = 0; k < 6; ++k) EXPECT_EQ(http(m_port, "GET", "/").status, 200);

  // kill -9 of one monitor: a replacement is ready, the others served on.
  json s = status();
  pid_t victim = s["instances"][1]["pid"].get<pid_t>();
  std::string victim_name = s["instances"][1]["name"].get<std::string>();
  double t0 = now_ms();
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  bool replaced = wait_status(
      [](const json& st) { return st["services"][0]["restarts"] == 1 && st["services"][0]["ready"] == 3; }, 10000);
  double replaced_ms = now_ms() - t0;
  ASSERT_TRUE(replaced);
  printf("pool: kill -9 of %s -> replacement ready in %.1f ms (polled every 5 ms through the control API)\n",
         victim_name.c_str(), replaced_ms);
  EXPECT_EQ(http(m_port, "GET", "/").status, 200);

  CommandResult logs = run(cli("logs " + victim_name));
  ASSERT_EQ(logs.status, 0) << logs.output;
  EXPECT_TRUE(contains(logs.output, victim_name + " | -- exited: killed by SIGKILL")) << logs.output;

  CommandResult top = run(cli("top --once"));
  EXPECT_EQ(top.status, 0) << top.output;
  EXPECT_TRUE(contains(top.output, "CPU%")) << top.output;

  down();
  EXPECT_FALSE(alive(victim));
  struct stat st;
  EXPECT_NE(stat(m_socket.c_str(), &st), 0) << "control socket left behind";
}

TEST_F(Pool, RestartsAfterAGuestCrashAndKeepsTheReport) {
  up(write_spec("[services.crashy]\nimage = \"" CRASHY_IMAGE "\"\nmemory = \"32M\"\ninitial = 1\n"
                "min_instances = 1\nmax_instances = 1\n",
                "crashy"));
  Answer a = http(m_port, "GET", "/");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "crashy crashy/0\n");
  // POST is not retried: the request dies with its instance (502).
  Answer crash = http(m_port, "POST", "/crash");
  EXPECT_EQ(crash.status, 502);
  ASSERT_TRUE(wait_status(
      [](const json& st) { return st["services"][0]["restarts"] == 1 && st["services"][0]["ready"] == 1; }, 10000));
  EXPECT_EQ(http(m_port, "GET", "/").status, 200);
  CommandResult logs = run(cli("logs crashy/0"));
  ASSERT_EQ(logs.status, 0) << logs.output;
  EXPECT_TRUE(contains(logs.output, "crashy crashy/0: crashing on purpose")) << logs.output;
  EXPECT_TRUE(contains(logs.output, "-- exited: exit status 139 (guest crash: SIGSEGV)")) << logs.output;
  // The monitor's crash report is in the log: the fault and a backtrace.
  EXPECT_TRUE(contains(logs.output, "main")) << logs.output;
  down();
}

TEST_F(Pool, ScalesToZeroAndBackWithoutFailingARequest) {
  up(write_spec("[services.hello]\nimage = \"" HELLO_IMAGE "\"\nmemory = \"32M\"\ninitial = 0\n"
                "min_instances = 0\nmax_instances = 2\n"
                "autoscale = { target = 10, scale_to_zero_after = \"1s\", stable_window = \"2s\" }\n",
                "hello"));
  json s = status();
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["instances"].size(), 0u);
  for (int round = 0; round < 2; ++round) {
    double t0 = now_ms();
    Answer a = http(m_port, "GET", "/");
    double cold_ms = now_ms() - t0;
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, "hello, world\n");
    printf("pool: request to a service at zero -> answer in %.1f ms (cold start, round %d)\n", cold_ms, round + 1);
    ASSERT_TRUE(wait_status([](const json& st) { return st["instances"].empty(); }, 15000))
        << "not scaled back to zero";
  }
  CommandResult logs = run(cli("logs hello"));
  EXPECT_TRUE(contains(logs.output, "-- exited: stopped: scale-down")) << logs.output;
  down();
}

TEST_F(Pool, KillNineUnderLoadFailsNoRequest) {
  // wrk comes from scripts/install-deps: without it this test cannot show anything.
  ASSERT_EQ(system("command -v wrk > /dev/null"), 0) << "wrk is not installed (scripts/install-deps installs it)";
  up(write_spec("[services.hello]\nimage = \"" HELLO_IMAGE "\"\nmemory = \"32M\"\ninitial = 3\n"
                "min_instances = 1\nmax_instances = 4\n",
                "hello"));
  // A steady load of GETs for the whole test (bounded: 8 s).
  std::string wrk_out = m_dir + "/wrk.txt";
  std::string cmd = "timeout 20 wrk -t1 -c8 -d8s http://127.0.0.1:" + std::to_string(m_port) + "/ > " + wrk_out + " 2>&1";
  FILE* wrk = popen(cmd.c_str(), "r");
  ASSERT_NE(wrk, nullptr);
  usleep(1000000);
  // kill -9 one monitor after another, each once the previous one's
  // replacement is ready; time kill -> replacement ready.
  std::vector<double> replaced_ms;
  for (int k = 0; k < 5; ++k) {
    json s = control_status(m_socket);
    ASSERT_TRUE(s.is_object());
    ASSERT_EQ(s["services"][0]["ready"], 3);
    const json& victim = s["instances"][static_cast<size_t>(k % 3)];
    pid_t pid = victim["pid"].get<pid_t>();
    uint64_t restarts = s["services"][0]["restarts"].get<uint64_t>();
    double t0 = now_ms();
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    bool back = false;
    while (!back && now_ms() - t0 < 5000) {
      json st = control_status(m_socket);
      back = st.is_object() && st["services"][0]["restarts"].get<uint64_t>() == restarts + 1 &&
             st["services"][0]["ready"] == 3;
      if (!back) usleep(2000);
    }
    ASSERT_TRUE(back) << "no replacement for " << victim["name"];
    replaced_ms.push_back(now_ms() - t0);
    usleep(700000);
  }
  pclose(wrk);
  std::ifstream f(wrk_out);
  std::string report((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  printf("pool: wrk -t1 -c8 -d8s through the gateway while 5 monitors were killed with SIGKILL:\n%s", report.c_str());
  std::sort(replaced_ms.begin(), replaced_ms.end());
  printf("pool: replacement ready after kill -9 (ms, sorted):");
  for (double ms : replaced_ms) printf(" %.1f", ms);
  printf("  (median %.1f; status polled every 2 ms)\n", replaced_ms[replaced_ms.size() / 2]);
  EXPECT_TRUE(contains(report, "requests in")) << report;
  EXPECT_FALSE(contains(report, "Non-2xx")) << report;
  EXPECT_FALSE(contains(report, "Socket errors")) << report;
  EXPECT_LT(replaced_ms[replaced_ms.size() / 2], 100.0);
  down();
}

}  // namespace

// ---- Starting from snapshots (issue 13; label `snapshot`) -------------------

class PoolSnapshot : public Pool {
 protected:
  std::string snapshot_dir() const { return m_dir + "/cache/shoal/snapshots"; }
  std::vector<std::string> snapshots() const {
    std::vector<std::string> out;
    CommandResult r = run("ls " + snapshot_dir() + " 2>/dev/null");
    size_t at = 0;
    while (at < r.output.size()) {
      size_t nl = r.output.find('\n', at);
      if (nl == std::string::npos) nl = r.output.size();
      std::string name = r.output.substr(at, nl - at);
      if (name.size() > 5 && name.substr(name.size() - 5) == ".snap") out.push_back(snapshot_dir() + "/" + name);
      at = nl + 1;
    }
    return out;
  }
  std::string log_text() const {
    std::ifstream f(m_log);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  static int count_start(const json& s, const std::string& kind) {
    int n = 0;
    for (const auto& i : s["instances"]) n += i["start"] == kind && i["state"] == "ready";
    return n;
  }
  // Started from the snapshot by a new monitor or a warm one: which one a
  // start gets depends on whether shoald's start queue reached it after a
  // warm monitor was ready.
  static int count_resumed(const json& s) { return count_start(s, "snapshot") + count_start(s, "warm"); }
  const std::string kHello = "[services.hello]\nimage = \"" HELLO_IMAGE "\"\nmemory = \"32M\"\n";
};

TEST_F(PoolSnapshot, InstancesStartFromTheSnapshotAndAnswer) {
  up(write_spec(kHello + "initial = 3\nmin_instances = 1\nmax_instances = 5\n", "hello"));
  json s = status();
  ASSERT_TRUE(s.is_object());
  // The first boots and saves; the others resume its snapshot.
  EXPECT_EQ(count_start(s, "boot"), 1) << s.dump();
  EXPECT_EQ(count_resumed(s), 2) << s.dump();
  EXPECT_EQ(s["services"][0]["snapshot"], "ready") << s.dump();
  ASSERT_EQ(snapshots().size(), 1u);
  {
    int fd = open(snapshots()[0].c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    auto snap = shoal::image::read_snapshot(fd, static_cast<uint64_t>(st.st_size));
    close(fd);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    printf("pool: snapshot of hello: %llu pages saved (%lld bytes on disk)\n",
           static_cast<unsigned long long>(snap->header.saved_pages), static_cast<long long>(st.st_size));
  }
  // Every instance answers (round robin over the three, twice).
  for (int k = 0; k < 6; ++k) {
    Answer a = http(m_port, "GET", "/");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, "hello, world\n");
  }
  json after = status();
  for (const auto& i : after["instances"]) EXPECT_GE(i["requests"].get<int>(), 2) << after.dump();
  // A scale-up takes the warm monitor (warm = 1 by default).
  ASSERT_TRUE(wait_status([](const json& st) { return st["services"][0]["warm"] == 1; }, 10000));
  int warm_before = count_start(status(), "warm");
  CommandResult scale = run(cli("scale hello 4 --wait --timeout 30"));
  ASSERT_EQ(scale.status, 0) << scale.output;
  s = status();
  EXPECT_EQ(count_start(s, "warm"), warm_before + 1) << s.dump();
  CommandResult ps = run(cli("ps"));
  EXPECT_TRUE(contains(ps.output, "START")) << ps.output;
  EXPECT_TRUE(contains(ps.output, " warm ")) << ps.output;
  for (int k = 0; k < 8; ++k) EXPECT_EQ(http(m_port, "GET", "/").status, 200);
  for (const auto& i : s["instances"])
    printf("pool: %s started by %s, ready in %.1f ms\n", i["name"].get<std::string>().c_str(),
           i["start"].get<std::string>().c_str(), i.value("start_ms", 0.0));
  down();
}

TEST_F(PoolSnapshot, ScaleFromZeroUsesTheSnapshot) {
  for (int warm : {1, 0}) {
    SCOPED_TRACE("warm = " + std::to_string(warm));
    up(write_spec(kHello + "warm = " + std::to_string(warm) +
                      "\ninitial = 0\nmin_instances = 0\nmax_instances = 2\n"
                      "autoscale = { target = 10, scale_to_zero_after = \"1s\", stable_window = \"2s\" }\n",
                  "hello"));
    // The snapshot is made ahead of the first request (a monitor boots,
    // saves and exits; cached for every later `shoal up` too): no request
    // from zero waits for a boot.
    for (int round = 0; round < 2; ++round) {
      double t0 = now_ms();
      Answer a = http(m_port, "GET", "/");
      double ms = now_ms() - t0;
      EXPECT_EQ(a.status, 200);
      EXPECT_EQ(a.body, "hello, world\n");
      json s = status();
      std::string kind = s["instances"].empty() ? "?" : s["instances"][0]["start"].get<std::string>();
      printf("pool: request to a service at zero (warm = %d) -> answer in %.1f ms (instance started by %s)\n", warm,
             ms, kind.c_str());
      EXPECT_NE(kind, "boot");
      // The first request may come before the warm monitor does (it waits
      // for the snapshot made ahead, then resumes it).
      if (round == 1 || warm == 0) {
        EXPECT_EQ(kind, warm ? "warm" : "snapshot");
      }
      ASSERT_TRUE(wait_status([](const json& st) { return st["instances"].empty(); }, 15000));
      if (warm) {
        ASSERT_TRUE(wait_status([](const json& st) { return st["services"][0]["warm"] == 1; }, 10000));
      }
    }
    down();
  }
}

// Rewrites a snapshot's build id and its checksum: a file whose header and
// tables are valid (shoald's check passes) but that the monitor refuses, as
// it refuses one from another build.
void forge_build_id(const std::string& path) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  std::vector<uint8_t> head(4096);
  f.read(reinterpret_cast<char*>(head.data()), 4096);
  shoal::image::SnapshotHeader h;
  memcpy(&h, head.data(), sizeof h);
  std::vector<uint8_t> tables(h.vcpu_offset + h.vcpu_size - 4096);
  f.read(reinterpret_cast<char*>(tables.data()), static_cast<std::streamsize>(tables.size()));
  snprintf(h.build_id, sizeof h.build_id, "0123456789abcdef-not-this-build");
  h.checksum = shoal::image::snapshot_checksum(h, tables);
  f.seekp(0);
  f.write(reinterpret_cast<const char*>(&h), sizeof h);
}

TEST_F(PoolSnapshot, ACorruptedOrForeignCachedSnapshotFallsBackToBoot) {
  std::string spec = write_spec(kHello + "initial = 2\nmin_instances = 1\nmax_instances = 4\n", "hello");
  up(spec);
  ASSERT_EQ(snapshots().size(), 1u);
  std::string file = snapshots()[0];
  down();
  {
    // Cut short, as by a crash or a full disk: the header does not check out.
    ASSERT_EQ(truncate(file.c_str(), 100), 0);
    up(spec);
    json s = status();
    EXPECT_EQ(count_start(s, "boot"), 1) << s.dump();
    EXPECT_EQ(count_resumed(s), 1) << s.dump();  // from the new one
    for (int k = 0; k < 4; ++k) EXPECT_EQ(http(m_port, "GET", "/").status, 200);
    EXPECT_TRUE(contains(log_text(), "services.hello: the cached snapshot is not valid (" + file)) << log_text();
    EXPECT_TRUE(contains(log_text(), "removing it, the first instance boots and makes a new one")) << log_text();
    down();
  }
  {
    // Valid, but from another monitor build: the monitor refuses it.
    forge_build_id(file);
    up(spec);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(http(m_port, "GET", "/").status, 200);
    ASSERT_TRUE(wait_status([](const json& st) { return st["services"][0]["snapshot"] == "ready"; }, 10000));
    EXPECT_TRUE(contains(log_text(), "services.hello: cannot start from " + file + " (exit status 1")) << log_text();
    EXPECT_TRUE(contains(log_text(), "the next instance boots and makes a new snapshot")) << log_text();
    json s = status();
    EXPECT_GE(count_start(s, "boot"), 1) << s.dump();
    down();
  }
}

TEST_F(PoolSnapshot, StartBootBootsEveryInstance) {
  up(write_spec(kHello + "start = \"boot\"\ninitial = 3\nmin_instances = 1\nmax_instances = 4\n", "hello"));
  json s = status();
  EXPECT_EQ(count_start(s, "boot"), 3) << s.dump();
  EXPECT_EQ(s["services"][0]["warm"], 0) << s.dump();
  EXPECT_FALSE(s["services"][0].contains("snapshot")) << s.dump();
  for (int k = 0; k < 3; ++k) EXPECT_EQ(http(m_port, "GET", "/").status, 200);
  EXPECT_TRUE(snapshots().empty());
  down();
}

TEST_F(PoolSnapshot, AWarmedUpMonitorListensWhenTaken) {
  up(write_spec(kHello + "warm_up = \"/healthz\"\ninitial = 1\nmin_instances = 1\nmax_instances = 3\n", "hello"));
  ASSERT_TRUE(wait_status([](const json& st) { return st["services"][0]["warm"] == 1; }, 10000));
  usleep(500000);  // its warm-up request (resume, listen, answer) has time to finish
  CommandResult scale = run(cli("scale hello 2 --wait --timeout 30"));
  ASSERT_EQ(scale.status, 0) << scale.output;
  json s = status();
  ASSERT_EQ(count_start(s, "warm"), 1) << s.dump();
  for (const auto& i : s["instances"])
    if (i["start"] == "warm") {
      // Listening already when taken: ready in the same loop iteration.
      EXPECT_LT(i.value("start_ms", 99.0), 1.0) << s.dump();
      printf("pool: a warmed-up monitor taken: ready in %.3f ms\n", i.value("start_ms", 99.0));
    }
  for (int k = 0; k < 6; ++k) EXPECT_EQ(http(m_port, "GET", "/").status, 200);
  down();
}

TEST_F(PoolSnapshot, ASpecNamesItsSnapshotFile) {
  // A snapshot from shoald's cache, shipped as a file the spec names: every
  // instance resumes it, none boots.
  std::string spec = write_spec(kHello + "initial = 1\nmin_instances = 1\nmax_instances = 3\n", "hello");
  up(spec);
  ASSERT_EQ(snapshots().size(), 1u);
  down();
  ASSERT_EQ(run("cp " + snapshots()[0] + " " + m_dir + "/shipped.snap").status, 0);
  run("rm -rf " + snapshot_dir());
  up(write_spec(kHello + "snapshot = \"shipped.snap\"\ninitial = 2\nmin_instances = 1\nmax_instances = 3\n", "hello"));
  json s = status();
  EXPECT_EQ(count_resumed(s), 2) << s.dump();
  EXPECT_EQ(s["services"][0]["snapshot_file"], m_dir + "/shipped.snap") << s.dump();
  for (int k = 0; k < 4; ++k) EXPECT_EQ(http(m_port, "GET", "/").status, 200);
  down();
  // `shoal snapshot` makes one for `shoal run`, without a pool's channel: refused
  // when the pool starts, naming the file, line and key.
  CommandResult made = run(std::string(SHOAL_CLI_PATH) + " snapshot " HELLO_IMAGE " -o " + m_dir + "/plain.snap");
  ASSERT_EQ(made.status, 0) << made.output;
  std::string bad = write_spec(kHello + "snapshot = \"plain.snap\"\ninitial = 1\n", "hello");
  CommandResult r = run(std::string(SHOAL_CLI_PATH) + " up -d " + bad + " --ready-timeout 30");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "services.hello.snapshot: " + m_dir + "/plain.snap: made without the pool's channel"))
      << r.output;
}

namespace {

// /proc/PID/stat's ppid, or -1.
pid_t parent_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  char state = 0;
  int ppid = -1;
  if (sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) != 2) return -1;
  return ppid;
}

std::string cmdline_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

// shoald's children that are template monitors (shoal-vmm --zygote-fd).
std::vector<pid_t> templates_of(pid_t shoald) {
  std::vector<pid_t> out;
  CommandResult r = run("pgrep -P " + std::to_string(shoald));
  size_t at = 0;
  while (at < r.output.size()) {
    pid_t pid = atoi(r.output.c_str() + at);
    size_t nl = r.output.find('\n', at);
    at = nl == std::string::npos ? r.output.size() : nl + 1;
    // A template's children never exec, so their cmdline is the template's
    // too: the template is the one without a vCPU (it creates no VM).
    if (pid <= 0 || !contains(cmdline_of(pid), "--zygote-fd")) continue;
    CommandResult fds = run("ls -l /proc/" + std::to_string(pid) + "/fd 2>/dev/null");
    if (!contains(fds.output, "kvm-vcpu")) out.push_back(pid);
  }
  return out;
}

}  // namespace

TEST_F(PoolSnapshot, ATemplateForksDistinctInstancesAndItsDeathFallsBackToSpawning) {
  up(write_spec(kHello + "warm = 0\ninitial = 3\nmin_instances = 1\nmax_instances = 6\n", "hello"));
  json s = status();
  ASSERT_EQ(count_resumed(s), 2) << s.dump();
  ASSERT_TRUE(wait_status([&](const json&) { return templates_of(m_pid).size() == 1; }, 10000));
  pid_t zygote = templates_of(m_pid)[0];
  // The resumed instances came from the template: separate processes, each
  // shoald's child (CLONE_PARENT), each with its own VM.
  std::vector<pid_t> pids;
  for (const auto& i : s["instances"]) {
    pid_t pid = i["pid"].get<pid_t>();
    pids.push_back(pid);
    EXPECT_EQ(parent_of(pid), m_pid) << i.dump();
    if (i["start"] == "snapshot") {
      EXPECT_TRUE(contains(cmdline_of(pid), "--zygote-fd")) << "not forked from the template: " << cmdline_of(pid);
      EXPECT_TRUE(contains(run("ls -l /proc/" + std::to_string(pid) + "/fd").output, "kvm-vm")) << pid;
    }
  }
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(std::unique(pids.begin(), pids.end()), pids.end());
  EXPECT_EQ(std::find(pids.begin(), pids.end(), zygote), pids.end());
  // Their own entropy: hello draws a random tag at its first /whoami, after
  // the resume; three instances, three tags (round robin, twice around).
  std::vector<std::string> tags;
  for (int k = 0; k < 6; ++k) {
    Answer a = http(m_port, "GET", "/whoami");
    ASSERT_EQ(a.status, 200);
    tags.push_back(a.body.substr(a.body.find(' ') + 1));
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  EXPECT_EQ(tags.size(), 3u);
  // One instance killed is that instance only: the others and the template live on.
  pid_t victim = pids[0] == zygote ? pids[1] : pids[0];
  kill(victim, SIGKILL);
  ASSERT_TRUE(wait_status([&](const json& st) {
    int ready = 0;
    for (const auto& i : st["instances"]) ready += i["state"] == "ready" && i["pid"].get<pid_t>() != victim;
    return ready == 3;
  }, 15000));
  EXPECT_TRUE(alive(zygote));
  // The template killed: starts fall back to spawning shoal-vmm at once, and a
  // new template comes up.
  kill(zygote, SIGKILL);
  CommandResult scale = run(cli("scale hello 5 --wait --timeout 30"));
  ASSERT_EQ(scale.status, 0) << scale.output;
  for (int k = 0; k < 10; ++k) EXPECT_EQ(http(m_port, "GET", "/").status, 200);
  ASSERT_TRUE(wait_status([&](const json&) {
    auto t = templates_of(m_pid);
    return t.size() == 1 && t[0] != zygote;
  }, 10000));
  EXPECT_TRUE(contains(log_text(), "services.hello: the template monitor ended (killed by SIGKILL")) << log_text();
  CommandResult more = run(cli("scale hello 6 --wait --timeout 30"));
  ASSERT_EQ(more.status, 0) << more.output;
  json after = status();
  int forked = 0;
  for (const auto& i : after["instances"])
    forked += i["state"] == "ready" && contains(cmdline_of(i["pid"].get<pid_t>()), "--zygote-fd");
  EXPECT_GE(forked, 1) << after.dump();
  down();
}
