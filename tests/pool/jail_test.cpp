// The monitor's confinement as users start it: `shoal run` (which execs
// shoal-vmm) and pool instances spawned by shoald. Each is launched with a
// stray file at fd 10 and a pipe at fd 251 (what pool instances were seen to
// inherit from the shell that ran `shoal up`), and inspected through /proc
// while it runs: none of those descriptors, no capabilities, uid nobody,
// no_new_privs, seccomp, its own namespaces, an empty root
// (docs/security.md). Runs as root, as the suite does.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "confinement.hpp"
#include "pool_client.hpp"

namespace {

using nlohmann::json;

// The CLI's output, its exit status in *status when asked.
std::string run(const std::string& command, int* status = nullptr) {
  auto r = shoal::test::run(command);
  if (status) *status = r.status;
  return r.output;
}

using shoal::test::free_port;

class PoolJail : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access("/dev/kvm", R_OK | W_OK), 0) << "no /dev/kvm";
    ASSERT_EQ(geteuid(), 0u) << "the confinement tests run as root (as the suite does)";
    char tmpl[] = "/tmp/shoal-jail-pool-XXXXXX";
    m_dir = mkdtemp(tmpl);
    m_marker = m_dir + "/stray-file";
    std::ofstream(m_marker) << "a launcher's file\n";
    setenv("XDG_RUNTIME_DIR", m_dir.c_str(), 1);
    unsetenv("SHOAL_VMM");
  }
  void TearDown() override {
    if (m_shoald > 0) kill(m_shoald, SIGKILL);  // its monitors die with it (PR_SET_PDEATHSIG)
    if (!m_dir.empty()) run("rm -rf " + m_dir);
  }

  // Redirections for a command run by bash (dash cannot redirect descriptors
  // above 9): fd 10 is the stray file, fd 251 the read end of a pipe (its
  // writer, `true`, is gone at once; the descriptor stays a pipe).
  std::string stray_fds() const { return " 10<" + m_marker + " 251< <(true)"; }

  // No descriptor of `pid` is the stray file or a pipe it was not given.
  void expect_no_stray_fds(pid_t pid) {
    auto fds = shoal::test::proc_fds(pid);
    EXPECT_FALSE(fds.empty());
    EXPECT_EQ(fds.count(10), 0u) << shoal::test::describe(fds);
    EXPECT_EQ(fds.count(251), 0u) << shoal::test::describe(fds);
    for (const auto& [fd, target] : fds) EXPECT_NE(target, m_marker) << shoal::test::describe(fds);
  }

  std::string m_dir, m_marker;
  pid_t m_shoald = -1;
};

TEST_F(PoolJail, ShoalRunMonitorIsConfined) {
  // shoal run execs shoal-vmm: the pid of the background job is the monitor's.
  std::string pid_file = m_dir + "/pid";
  std::string cmd = "bash -c '" + std::string(SHOAL_CLI_PATH) +
                    " run " BUSYBOX_IMAGE " --timeout 20 -- sleep 30 < /dev/null > /dev/null 2>&1" +
                    stray_fds() + " & echo $! > " + pid_file + "'";
  ASSERT_EQ(system(cmd.c_str()), 0);
  pid_t pid = -1;
  for (int k = 0; k < 500 && pid <= 0; ++k) {
    usleep(10000);
    std::ifstream(pid_file) >> pid;
  }
  ASSERT_GT(pid, 0);
  bool confined = shoal::test::wait_until_confined(pid, 20000);
  EXPECT_TRUE(confined) << "no seccomp'd monitor at pid " << pid;
  if (confined) {
    shoal::test::expect_confined(pid, 65534, 65534);
    expect_no_stray_fds(pid);
  }
  kill(pid, SIGKILL);  // not our child: its parent, bash, is gone; init reaps it
}

TEST_F(PoolJail, PoolInstancesAreConfinedAndServe) {
  uint16_t port = free_port();
  std::string socket = m_dir + "/pool.sock";
  std::string spec = m_dir + "/pool.toml";
  std::ofstream(spec)
      << "name = \"jailtest\"\n[gateway]\nlisten = \"127.0.0.1:" << port << "\"\ncontrol = \"" << socket
      << "\"\n[services.hello]\nimage = \"" HELLO_IMAGE "\"\nmemory = \"32M\"\ninitial = 2\n"
      << "min_instances = 2\nmax_instances = 2\n[[routes]]\npath = \"/\"\nservice = \"hello\"\n";
  int status = -1;
  std::string up = run("bash -c '" + std::string(SHOAL_CLI_PATH) + " up -d " + spec + " --ready-timeout 30" +
                           stray_fds() + "'",
                       &status);
  ASSERT_EQ(status, 0) << up;
  size_t at = up.find("pid ");
  ASSERT_NE(at, std::string::npos) << up;
  m_shoald = atoi(up.c_str() + at + 4);

  EXPECT_EQ(shoal::test::http(port, "GET", "/").status, 200);  // jailed instances still serve
  std::string ps = run(std::string(SHOAL_CLI_PATH) + " ps --json -c " + socket);
  json s = json::parse(ps, nullptr, false);
  ASSERT_TRUE(s.is_object()) << ps;
  ASSERT_EQ(s["instances"].size(), 2u) << ps;
  for (const auto& inst : s["instances"]) {
    pid_t pid = inst["pid"].get<pid_t>();
    SCOPED_TRACE(inst["name"].get<std::string>());
    ASSERT_TRUE(shoal::test::wait_until_confined(pid, 10000));
    shoal::test::expect_confined(pid, 65534, 65534);
    expect_no_stray_fds(pid);
  }
  std::string down = run(std::string(SHOAL_CLI_PATH) + " down --timeout 30 -c " + socket, &status);
  EXPECT_EQ(status, 0) << down;
  m_shoald = -1;
}

}  // namespace
