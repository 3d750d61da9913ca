#include "pool_proc.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace shoal::bench::pool {
namespace {

// Live process groups, read by the signal handler: a fixed array of atomics
// because a handler may only do async-signal-safe work (kill is).
constexpr int kMaxGroups = 64;
std::atomic<pid_t> g_groups[kMaxGroups];
volatile sig_atomic_t g_interrupted = 0;

void track(pid_t pgid) {
  for (auto& g : g_groups) {
    pid_t expected = 0;
    if (g.compare_exchange_strong(expected, pgid)) return;
  }
}

void untrack(pid_t pgid) {
  for (auto& g : g_groups) {
    pid_t expected = pgid;
    g.compare_exchange_strong(expected, 0);
  }
}

void on_signal(int) {
  g_interrupted = 1;
  for (auto& g : g_groups)
    if (pid_t p = g.load(); p > 0) kill(-p, SIGKILL);
}

int decode(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

// posix_spawn with the child in a new process group, stdin /dev/null and
// stdout/stderr to the given descriptors.
Result<pid_t> spawn_in_group(const std::vector<std::string>& argv, const std::vector<std::string>& env, int out_fd,
                             int err_fd) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (auto& e : env_strings) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return make_error(argv[0] + ": cannot start: " + std::strerror(rc), rc);
  track(pid);
  return pid;
}

}  // namespace

void install_signal_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_interrupted != 0; }

double now_us() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

std::string read_file(const std::string& path, size_t max) {
  std::string s;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return s;
  char buf[8192];
  ssize_t n;
  while (s.size() < max && (n = read(fd, buf, sizeof buf)) > 0) s.append(buf, n);
  close(fd);
  return s;
}

Result<Child> Child::spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                           const std::string& log_path) {
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error(log_path);
  auto pid = spawn_in_group(argv, env, fd, fd);
  close(fd);
  if (!pid) return pid.error();
  return Child(pid.value(), log_path);
}

bool Child::running() {
  if (m_pid <= 0) return false;
  int st;
  if (waitpid(m_pid, &st, WNOHANG) == m_pid) {
    untrack(m_pid);
    kill(-m_pid, SIGKILL);  // whatever it left in its group
    m_pid = -1;
    return false;
  }
  return true;
}

void Child::stop(int grace_ms) {
  if (m_pid <= 0) return;
  kill(-m_pid, SIGTERM);
  double deadline = now_us() + grace_ms * 1000.0;
  int st;
  while (waitpid(m_pid, &st, WNOHANG) == 0) {
    if (now_us() > deadline) {
      kill(-m_pid, SIGKILL);
      waitpid(m_pid, &st, 0);
      break;
    }
    usleep(5000);
  }
  kill(-m_pid, SIGKILL);  // the group's other members (nginx's worker)
  untrack(m_pid);
  m_pid = -1;
}

Finished run_bounded(const std::vector<std::string>& argv, int timeout_ms, const std::vector<std::string>& env,
                     bool cleanup) {
  Finished f;
  char out_tmpl[] = "/tmp/shoal-bench-pool-out-XXXXXX";
  char err_tmpl[] = "/tmp/shoal-bench-pool-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl), err_fd = mkstemp(err_tmpl);
  if (out_fd < 0 || err_fd < 0) {
    f.err = std::string("mkstemp: ") + std::strerror(errno);
    return f;
  }
  double start = now_us();
  auto pid = spawn_in_group(argv, env, out_fd, err_fd);
  if (pid) {
    int st = 0;
    while (true) {
      pid_t r = waitpid(pid.value(), &st, WNOHANG);
      if (r == pid.value()) {
        f.status = decode(st);
        break;
      }
      if (r < 0 && errno != EINTR) break;
      if (now_us() - start > timeout_ms * 1000.0 || (interrupted() && !cleanup)) {
        kill(-pid.value(), SIGKILL);
        waitpid(pid.value(), &st, 0);
        f.timed_out = true;
        f.status = 124;
        break;
      }
      usleep(2000);
    }
    // A process that daemonized left its own session; anything else in the
    // group goes now.
    kill(-pid.value(), SIGKILL);
    untrack(pid.value());
  }
  f.wall_us = now_us() - start;
  f.out = read_file(out_tmpl);
  f.err = pid ? read_file(err_tmpl) : pid.error().message;
  close(out_fd);
  close(err_fd);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return f;
}

}  // namespace shoal::bench::pool
