// The shoald binary and the pool commands of `shoal`, end to end, with
// fake_vmm in place of shoal-vmm (SHOAL_VMM): up -d, ps, scale, top, logs,
// metrics, a killed monitor, down; and spec errors.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pool_harness.hpp"

namespace {

using shoal::pool::testing::http_request;

struct CommandRun {
  int status = -1;
  std::string output;  // stdout and stderr
};

CommandRun run(const std::string& command) {
  CommandRun r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class CliPool : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shoald-cli-XXXXXX";
    m_dir = mkdtemp(tmpl);
    m_socket = m_dir + "/pool.sock";
    m_port = free_port();
    m_admin = free_port();
    std::ofstream(m_dir + "/pool.toml") << "name = \"clitest\"\n"
                                        << "[gateway]\nlisten = \"127.0.0.1:" << m_port << "\"\n"
                                        << "admin = \"127.0.0.1:" << m_admin << "\"\n"
                                        << "control = \"" << m_socket << "\"\n"
                                        << "[services.hello]\nimage = \"" << FAKE_VMM_PATH << "\"\n"
                                        << "port = 8080\ninitial = 2\nmin_instances = 1\nmax_instances = 4\n"
                                        << "[[routes]]\npath = \"/\"\nservice = \"hello\"\n";
    setenv("SHOAL_VMM", FAKE_VMM_PATH, 1);
    setenv("XDG_RUNTIME_DIR", m_dir.c_str(), 1);  // up -d writes its log there
    setenv("XDG_CACHE_HOME", (m_dir + "/cache").c_str(), 1);  // and shoald its snapshots here
  }

  void TearDown() override {
    // Whatever happened, no shoald and no instance outlives the test.
    if (m_pid > 0 && kill(m_pid, 0) == 0) {
      kill(m_pid, SIGKILL);
      usleep(100000);
    }
    run("rm -rf " + m_dir);
  }

  std::string cli(const std::string& args) { return std::string(SHOAL_CLI_PATH) + " " + args + " -c " + m_socket; }

  nlohmann::json status() {
    CommandRun r = run(cli("ps --json"));
    EXPECT_EQ(r.status, 0) << r.output;
    return nlohmann::json::parse(r.output, nullptr, false);
  }

  std::string m_dir, m_socket;
  uint16_t m_port = 0, m_admin = 0;
  pid_t m_pid = -1;
};

TEST_F(CliPool, UpPsScaleTopLogsDown) {
  CommandRun up = run(std::string(SHOAL_CLI_PATH) + " up -d " + m_dir + "/pool.toml --ready-timeout 20");
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(contains(up.output, "pool ready: gateway http://127.0.0.1:" + std::to_string(m_port))) << up.output;

  nlohmann::json s = status();
  ASSERT_TRUE(s.is_object());
  m_pid = s["pool"]["pid"].get<pid_t>();
  EXPECT_EQ(s["pool"]["name"], "clitest");
  EXPECT_EQ(s["services"][0]["ready"], 2);

  auto a = http_request(m_port, "GET", "/x");
  EXPECT_EQ(a.status, 200) << a.raw;
  EXPECT_TRUE(contains(a.body, "hello from hello/")) << a.body;

  CommandRun ps = run(cli("ps"));
  ASSERT_EQ(ps.status, 0) << ps.output;
  EXPECT_TRUE(contains(ps.output, "clitest: 1 service, 2/2 ready")) << ps.output;
  EXPECT_TRUE(contains(ps.output, "hello/0")) << ps.output;
  EXPECT_TRUE(contains(ps.output, "hello/1")) << ps.output;
  EXPECT_TRUE(contains(ps.output, "START")) << ps.output;
  // start = "snapshot" (the default): hello/0 boots and saves, hello/1
  // resumes the snapshot (from a warm monitor if the start queue reached it
  // after one was ready), and one warm monitor waits for the next start.
  s = status();
  EXPECT_EQ(s["instances"][0]["start"], "boot") << s.dump();
  EXPECT_TRUE(s["instances"][1]["start"] == "snapshot" || s["instances"][1]["start"] == "warm") << s.dump();
  EXPECT_EQ(s["services"][0]["snapshot"], "ready") << s.dump();
  for (int k = 0; k < 100 && status()["services"][0]["warm"] != 1; ++k) usleep(20000);
  EXPECT_EQ(status()["services"][0]["warm"], 1);

  CommandRun scale = run(cli("scale hello 3 --wait --timeout 20"));
  ASSERT_EQ(scale.status, 0) << scale.output;
  EXPECT_TRUE(contains(scale.output, "hello: 3 ready")) << scale.output;
  EXPECT_EQ(status()["services"][0]["ready"], 3);
  EXPECT_EQ(status()["instances"][2]["start"], "warm");
  CommandRun ps_warm = run(cli("ps"));
  EXPECT_TRUE(contains(ps_warm.output, "3/3 ready")) << ps_warm.output;

  CommandRun top = run(cli("top --once"));
  ASSERT_EQ(top.status, 0) << top.output;
  EXPECT_TRUE(contains(top.output, "CPU%")) << top.output;
  EXPECT_TRUE(contains(top.output, "hello/2")) << top.output;

  // kill -9 of a monitor: replaced, and the logs show the exit.
  pid_t victim = status()["instances"][0]["pid"].get<pid_t>();
  kill(victim, SIGKILL);
  bool replaced = false;
  for (int k = 0; k < 200 && !replaced; ++k) {
    usleep(20000);
    auto st = status();
    replaced = st["services"][0]["restarts"] == 1 && st["services"][0]["ready"] == 3;
  }
  EXPECT_TRUE(replaced);
  CommandRun logs = run(cli("logs hello"));
  ASSERT_EQ(logs.status, 0) << logs.output;
  EXPECT_TRUE(contains(logs.output, "hello/0 | -- exited: killed by SIGKILL")) << logs.output;
  EXPECT_TRUE(contains(logs.output, "hello/0 | fake guest listening on port 8080")) << logs.output;
  CommandRun one = run(cli("logs hello/2 -n 1"));
  EXPECT_EQ(one.status, 0) << one.output;
  EXPECT_TRUE(contains(one.output, "hello/2 | fake guest hello/0 resumed from ")) << one.output;
  EXPECT_EQ(run(cli("logs nope")).status, 1);

  auto metrics = http_request(m_admin, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(contains(metrics.body, "shoal_requests_total{service=\"hello\",code=\"200\"} 1")) << metrics.body;
  EXPECT_TRUE(contains(metrics.body, "shoal_restarts_total{service=\"hello\"} 1")) << metrics.body;

  CommandRun down = run(cli("down"));
  ASSERT_EQ(down.status, 0) << down.output;
  EXPECT_TRUE(contains(down.output, "pool stopped")) << down.output;
  struct stat st;
  EXPECT_NE(stat(m_socket.c_str(), &st), 0);  // the socket is gone
  EXPECT_NE(kill(victim, 0), 0);
  CommandRun after = run(cli("ps"));
  EXPECT_EQ(after.status, 1);
  EXPECT_TRUE(contains(after.output, "no pool is listening")) << after.output;
}

TEST_F(CliPool, SpecErrorsNameFileLineAndKey) {
  std::ofstream(m_dir + "/bad.toml") << "[services.hello]\nimage = \"" << FAKE_VMM_PATH << "\"\n"
                                     << "port = 70000\nbalanse = \"p2c\"\n";
  CommandRun direct = run(std::string(SHOALD_PATH) + " " + m_dir + "/bad.toml");
  EXPECT_EQ(direct.status, 2) << direct.output;
  EXPECT_TRUE(contains(direct.output, "bad.toml:3: services.hello.port")) << direct.output;
  EXPECT_TRUE(contains(direct.output, "bad.toml:4: services.hello.balanse")) << direct.output;
  CommandRun up = run(std::string(SHOAL_CLI_PATH) + " up -d " + m_dir + "/bad.toml");
  EXPECT_EQ(up.status, 2) << up.output;
  EXPECT_TRUE(contains(up.output, "bad.toml:3: services.hello.port")) << up.output;
}

TEST_F(CliPool, SecondPoolOnTheSameSocketIsRefused) {
  CommandRun up = run(std::string(SHOAL_CLI_PATH) + " up -d " + m_dir + "/pool.toml --ready-timeout 20");
  ASSERT_EQ(up.status, 0) << up.output;
  m_pid = status()["pool"]["pid"].get<pid_t>();
  // Same control socket: refused before anything starts (the gateway port
  // is taken too; whichever is found first is named).
  CommandRun again = run(std::string(SHOALD_PATH) + " " + m_dir + "/pool.toml");
  EXPECT_EQ(again.status, 1) << again.output;
  EXPECT_EQ(run(cli("down")).status, 0);
}

TEST_F(CliPool, PoolCommandsWithoutAPool) {
  CommandRun ps = run(std::string(SHOAL_CLI_PATH) + " ps");  // default dir: $XDG_RUNTIME_DIR/shoal, empty
  EXPECT_EQ(ps.status, 1);
  EXPECT_TRUE(contains(ps.output, "no pool is running")) << ps.output;
  CommandRun scale = run(cli("scale hello many"));
  EXPECT_EQ(scale.status, 2);
}

// Local files (docs/security.md): the runtime directory `up -d` writes its log
// to has a predictable name; another user can create it first.

bool dir_is_empty(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) return false;
  int entries = 0;
  while (dirent* e = readdir(d))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) ++entries;
  closedir(d);
  return entries == 0;
}

std::string up_detached(const std::string& spec) {
  return std::string(SHOAL_CLI_PATH) + " up -d " + spec + " --ready-timeout 20";
}

// Stops a pool that should not have started (on a build without the checks).
void down_if_up(const CommandRun& up, const std::string& socket) {
  if (up.status == 0) run(std::string(SHOAL_CLI_PATH) + " down -c " + socket);
}

TEST_F(CliPool, UpRefusesASymlinkedRuntimeDir) {
  std::string xdg = m_dir + "/xdg", target = m_dir + "/elsewhere";
  ASSERT_EQ(mkdir(xdg.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
  ASSERT_EQ(symlink(target.c_str(), (xdg + "/shoal").c_str()), 0);
  setenv("XDG_RUNTIME_DIR", xdg.c_str(), 1);
  CommandRun up = run(up_detached(m_dir + "/pool.toml"));
  down_if_up(up, m_socket);
  EXPECT_NE(up.status, 0) << up.output;
  EXPECT_TRUE(contains(up.output, xdg + "/shoal: is a symbolic link (to " + target + ")")) << up.output;
  EXPECT_TRUE(dir_is_empty(target)) << "something was written through the link";

  // No XDG_RUNTIME_DIR: $TMPDIR/shoal-UID (/tmp/shoal-UID), the same rule.
  unsetenv("XDG_RUNTIME_DIR");
  std::string tmp = m_dir + "/tmp";
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  std::string runtime = tmp + "/shoal-" + std::to_string(getuid());
  ASSERT_EQ(symlink(target.c_str(), runtime.c_str()), 0);
  setenv("TMPDIR", tmp.c_str(), 1);
  CommandRun fallback = run(up_detached(m_dir + "/pool.toml"));
  down_if_up(fallback, m_socket);
  unsetenv("TMPDIR");
  EXPECT_NE(fallback.status, 0) << fallback.output;
  EXPECT_TRUE(contains(fallback.output, runtime + ": is a symbolic link")) << fallback.output;
  EXPECT_TRUE(dir_is_empty(target));
}

TEST_F(CliPool, ShoaldRefusesASocketDirectoryOthersCouldChange) {
  // shoald alone, a spec without `control`: the default socket directory is
  // created and checked by shoald itself.
  std::string xdg = m_dir + "/xdg", target = m_dir + "/elsewhere";
  ASSERT_EQ(mkdir(xdg.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
  ASSERT_EQ(symlink(target.c_str(), (xdg + "/shoal").c_str()), 0);
  std::ofstream(m_dir + "/nosock.toml") << "[gateway]\nlisten = \"127.0.0.1:" << free_port() << "\"\n"
                                        << "[services.hello]\nimage = \"" << FAKE_VMM_PATH << "\"\n"
                                        << "port = 8080\ninitial = 1\n"
                                        << "[[routes]]\npath = \"/\"\nservice = \"hello\"\n";
  setenv("XDG_RUNTIME_DIR", xdg.c_str(), 1);
  // `timeout`: a shoald without the checks would serve until stopped.
  std::string shoald = "timeout -s KILL 3 " + std::string(SHOALD_PATH) + " " + m_dir + "/nosock.toml";
  CommandRun linked = run(shoald);
  EXPECT_EQ(linked.status, 1) << linked.output;
  EXPECT_TRUE(contains(linked.output, xdg + "/shoal: is a symbolic link")) << linked.output;
  EXPECT_TRUE(dir_is_empty(target)) << "the control socket was made through the link";

  // A real directory, ours, but anyone may write it: they could replace the socket.
  ASSERT_EQ(unlink((xdg + "/shoal").c_str()), 0);
  ASSERT_EQ(mkdir((xdg + "/shoal").c_str(), 0700), 0);
  ASSERT_EQ(chmod((xdg + "/shoal").c_str(), 0777), 0);
  CommandRun open_to_all = run(shoald);
  EXPECT_EQ(open_to_all.status, 1) << open_to_all.output;
  EXPECT_TRUE(contains(open_to_all.output, xdg + "/shoal: writable by group or others (mode 0777)"))
      << open_to_all.output;
  EXPECT_TRUE(dir_is_empty(xdg + "/shoal"));
}

TEST_F(CliPool, UpRefusesARuntimeDirOfAnotherUserOrWritableByOthers) {
  ASSERT_EQ(geteuid(), 0u) << "chown to nobody needs root (the standard machine runs tests as root)";
  unsetenv("XDG_RUNTIME_DIR");
  std::string tmp = m_dir + "/tmp";
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  setenv("TMPDIR", tmp.c_str(), 1);
  std::string runtime = tmp + "/shoal-" + std::to_string(getuid());

  ASSERT_EQ(mkdir(runtime.c_str(), 0700), 0);
  ASSERT_EQ(chown(runtime.c_str(), 65534, 65534), 0);  // nobody
  CommandRun other = run(up_detached(m_dir + "/pool.toml"));
  down_if_up(other, m_socket);
  EXPECT_NE(other.status, 0) << other.output;
  EXPECT_TRUE(contains(other.output, runtime + ": owned by another user (uid 65534")) << other.output;
  EXPECT_TRUE(dir_is_empty(runtime));

  ASSERT_EQ(chown(runtime.c_str(), 0, 0), 0);
  ASSERT_EQ(chmod(runtime.c_str(), 0777), 0);
  CommandRun open_to_all = run(up_detached(m_dir + "/pool.toml"));
  down_if_up(open_to_all, m_socket);
  unsetenv("TMPDIR");
  EXPECT_NE(open_to_all.status, 0) << open_to_all.output;
  EXPECT_TRUE(contains(open_to_all.output, runtime + ": writable by group or others (mode 0777)"))
      << open_to_all.output;
  EXPECT_TRUE(dir_is_empty(runtime));
}

TEST_F(CliPool, TwoSpecsWithTheSameFileNameHaveTheirOwnLogs) {
  std::string logs[2], sockets[2];
  pid_t pids[2] = {-1, -1};
  for (int i = 0; i < 2; ++i) {
    std::string dir = m_dir + (i == 0 ? "/a" : "/b");
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    sockets[i] = dir + "/control.sock";
    std::ofstream(dir + "/pool.toml") << "name = \"same" << i << "\"\n"
                                      << "[gateway]\nlisten = \"127.0.0.1:" << free_port() << "\"\n"
                                      << "control = \"" << sockets[i] << "\"\n"
                                      << "[services.hello]\nimage = \"" << FAKE_VMM_PATH << "\"\n"
                                      << "port = 8080\ninitial = 1\n"
                                      << "[[routes]]\npath = \"/\"\nservice = \"hello\"\n";
    CommandRun up = run(up_detached(dir + "/pool.toml"));
    ASSERT_EQ(up.status, 0) << up.output;
    size_t at = up.output.find("  log     ");
    ASSERT_NE(at, std::string::npos) << up.output;
    logs[i] = up.output.substr(at + 10, up.output.find('\n', at) - at - 10);
    CommandRun ps = run(std::string(SHOAL_CLI_PATH) + " ps --json -c " + sockets[i]);
    pids[i] = nlohmann::json::parse(ps.output, nullptr, false)["pool"]["pid"].get<pid_t>();
    if (i == 0) m_pid = pids[0];  // TearDown stops it if the rest fails
  }
  EXPECT_NE(logs[0], logs[1]);
  EXPECT_EQ(logs[0].compare(0, m_dir.size() + 12, m_dir + "/shoal/pool-"), 0) << logs[0];
  struct stat st;
  for (const auto& log : logs) {
    ASSERT_EQ(lstat(log.c_str(), &st), 0) << log;
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u) << log;
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(run(std::string(SHOAL_CLI_PATH) + " down -c " + sockets[i]).status, 0);
    if (kill(pids[i], 0) == 0) kill(pids[i], SIGKILL);
  }
}

}  // namespace
