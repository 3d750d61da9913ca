#include "bench_util.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace shoal::bench {

static double now_us() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static std::string slurp(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  lseek(fd, 0, SEEK_SET);
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, n);
  return s;
}

RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env, bool t0_env) {
  RunResult r;
  char out_tmpl[] = "/tmp/shoal-bench-out-XXXXXX";
  char err_tmpl[] = "/tmp/shoal-bench-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl), err_fd = mkstemp(err_tmpl);
  unlink(out_tmpl);
  unlink(err_tmpl);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (auto& e : env) env_strings.push_back(e);
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (t0_env)
    env_strings.push_back("SHOAL_BENCH_T0=" + std::to_string(t0.tv_sec * 1000000000ll + t0.tv_nsec));
  for (auto& e : env_strings) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  double start = now_us();
  pid_t pid;
  if (posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data()) != 0) {
    std::perror(cargv[0]);
    std::exit(1);
  }
  int st = 0;
  rusage ru{};
  wait4(pid, &st, 0, &ru);
  r.wall_us = now_us() - start;
  r.maxrss_kb = ru.ru_maxrss;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(out_fd);
  r.err = slurp(err_fd);
  close(out_fd);
  close(err_fd);
  posix_spawn_file_actions_destroy(&fa);
  return r;
}

long peak_rss_kb(const std::vector<std::string>& argv) {
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  int st = 0;
  long hwm = -1;
  waitpid(pid, &st, 0);  // stopped at exec (SIGTRAP)
  ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
  ptrace(PTRACE_CONT, pid, nullptr, nullptr);
  while (waitpid(pid, &st, 0) == pid) {
    if (WIFEXITED(st) || WIFSIGNALED(st)) break;
    int sig = 0;
    if (WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
      std::string path = "/proc/" + std::to_string(pid) + "/status";
      int fd = open(path.c_str(), O_RDONLY);
      std::string status = slurp(fd);
      close(fd);
      auto pos = status.find("VmHWM:");
      if (pos != std::string::npos) hwm = std::atol(status.c_str() + pos + 6);
    } else if (WIFSTOPPED(st) && WSTOPSIG(st) != SIGTRAP) {
      sig = WSTOPSIG(st);  // pass real signals through
    }
    ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
  }
  return hwm;
}

double field(const std::string& text, const std::string& key) {
  auto pos = text.find(" " + key + "=");
  if (pos == std::string::npos) return -1;
  return std::atof(text.c_str() + pos + key.size() + 2);
}

}  // namespace shoal::bench
