// shoal up SPEC [-d] [-c CONTROL] [-v]: runs shoald.
//
// Foreground on a terminal: shoald runs as a child whose output the CLI
// relays, keeping a one-line pool status (GET /v1/status, twice a second) at
// the bottom. Ctrl-C reaches shoald too (same process group), which drains
// and exits; the CLI exits with its status. Foreground without a terminal:
// plain exec of shoald.
//
// -d: shoald runs in its own session with its output in a log file (the
// runtime directory's <spec stem>-<hash of the spec's path>.log); the CLI
// waits until shoald reports readiness on a pipe (--ready-fd: a line
// "progress {json}" a second while instances start, then "ready {json}" once
// the gateway listens and the initial instances are ready), showing the
// progress on stderr, prints the gateway URL and returns 0. If shoald exits
// first, or no instance becomes ready for --ready-timeout (then it is
// stopped), the CLI prints what shoald wrote and returns nonzero.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <limits.h>

#include <optional>

#include <xxhash.h>

#include <shoal/base/private_dir.hpp>

#include "commands.hpp"
#include "control_client.hpp"
#include "pool_commands.hpp"
#include "pool_format.hpp"

namespace shoal::cli {

namespace {

volatile sig_atomic_t g_signal = 0;

double mono_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string shoald_path() {
  if (const char* env = getenv("SHOAL_SHOALD"); env && *env) return env;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "shoald";
  std::string dir(exe, static_cast<size_t>(n));
  return dir.substr(0, dir.rfind('/')) + "/shoald";
}

std::vector<std::string> shoald_args(const UpCommand& c, int ready_fd) {
  std::vector<std::string> args{shoald_path(), c.spec};
  if (!c.control.empty()) args.insert(args.end(), {"--control", c.control});
  if (c.verbose) args.push_back("-v");
  if (c.no_zygote) args.push_back("--no-zygote");
  if (ready_fd >= 0) args.insert(args.end(), {"--ready-fd", std::to_string(ready_fd)});
  return args;
}

[[noreturn]] void exec_args(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  fprintf(stderr, "shoal: %s: cannot execute: %s\n", argv[0], strerror(errno));
  _exit(127);
}

int exit_code(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 1;
}

// Reads what is available on fd into `buf`; false at end of file.
bool drain(int fd, std::string& buf) {
  char tmp[4096];
  for (;;) {
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n > 0) {
      buf.append(tmp, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

// The control socket named in the ready line, among the lines in `buf`
// (progress lines come first).
std::string ready_control(const std::string& buf) {
  size_t at = buf.compare(0, 6, "ready ") == 0 ? 0 : buf.find("\nready ");
  if (at == std::string::npos) return "";
  if (at > 0) ++at;
  size_t end = buf.find('\n', at);
  if (end == std::string::npos) return "";  // not complete yet
  auto j = nlohmann::json::parse(buf.substr(at + 6, end - at - 6), nullptr, false);
  return j.is_discarded() ? "" : json_str(j, "control");
}

struct Progress {
  uint32_t ready = 0, wanted = 0, starting = 0;
};

// shoald's "progress {json}" line (shoald/main.cpp), else nullopt.
std::optional<Progress> parse_progress(const std::string& line) {
  if (line.compare(0, 9, "progress ") != 0) return std::nullopt;
  auto j = nlohmann::json::parse(line.substr(9), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return Progress{static_cast<uint32_t>(json_num(j, "ready")), static_cast<uint32_t>(json_num(j, "wanted")),
                  static_cast<uint32_t>(json_num(j, "starting"))};
}

std::string file_contents(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 && out.size() < (1u << 20)) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// The log of a detached pool: named after the spec's stem (for people) and a
// hash of its resolved path, so two specs called pool.toml in different
// directories never share (and truncate) one log.
std::string log_name(const std::string& spec) {
  std::string base = spec.substr(spec.rfind('/') + 1);
  size_t dot = base.rfind('.');
  std::string stem = dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
  char resolved[PATH_MAX];
  std::string path = realpath(spec.c_str(), resolved) ? resolved : spec;
  char hash[24];
  snprintf(hash, sizeof hash, "%012llx",
           static_cast<unsigned long long>(XXH3_64bits(path.data(), path.size()) & 0xffffffffffffull));
  return stem + "-" + hash + ".log";
}

int run_detached(const UpCommand& c) {
  // The runtime directory may be /tmp/shoal-UID, a name anyone can take
  // first: open_private_dir refuses a link or a directory that is not ours
  // alone, and the log is opened relative to it (docs/security.md).
  auto dir = open_private_dir(default_control_dir(), CreateDir::leaf);
  if (!dir) return pool_error(dir.error().message);
  std::string name = log_name(c.spec);
  std::string log = dir->file(name);
  auto opened = open_private_file(*dir, name, O_WRONLY | O_CREAT | O_TRUNC);
  if (!opened) return pool_error(opened.error().message);
  int log_fd = opened.value();
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return pool_error(std::string("pipe: ") + strerror(errno));
  auto args = shoald_args(c, ready[1]);
  pid_t pid = fork();
  if (pid < 0) return pool_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    setsid();
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    fcntl(ready[1], F_SETFD, 0);  // shoald inherits the ready pipe
    exec_args(args);
  }
  close(ready[1]);
  close(log_fd);

  // shoald writes a progress line a second while instances start, then the
  // ready line. The wait ends when the pool is ready, when shoald exits, or
  // when no instance became ready for --ready-timeout: a pool of 10,000 may
  // take longer than one of 10, and is given the time while it progresses.
  std::string buf, line;
  double started = mono_s();
  double deadline = started + c.ready_timeout;
  uint32_t last_ready = 0;
  double last_print = 0;
  bool eof = false, tty = isatty(2);
  while (line.empty() && !eof) {
    double left = deadline - mono_s();
    if (left <= 0) break;
    pollfd p{ready[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left * 1000) + 1) > 0) {
      char tmp[1024];
      ssize_t n = read(ready[0], tmp, sizeof tmp);
      if (n > 0) buf.append(tmp, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) eof = true;
    }
    size_t nl;
    while (line.empty() && (nl = buf.find('\n')) != std::string::npos) {
      std::string one = buf.substr(0, nl + 1);
      buf.erase(0, nl + 1);
      auto progress = parse_progress(one);
      if (!progress) {
        line = one;  // the ready line (or something unexpected: reported below)
        break;
      }
      if (progress->ready > last_ready) {
        last_ready = progress->ready;
        deadline = mono_s() + c.ready_timeout;
      }
      // One line a second at most; in place on a terminal.
      if (mono_s() - last_print >= (tty ? 0.2 : 1.0)) {
        last_print = mono_s();
        fprintf(stderr, "%sstarting: %u/%u instances ready, %u starting, %.1f s%s", tty ? "\r\033[K" : "",
                progress->ready, progress->wanted, progress->starting, mono_s() - started, tty ? "" : "\n");
        fflush(stderr);
      }
    }
  }
  if (tty && last_print > 0) fprintf(stderr, "\r\033[K");
  close(ready[0]);
  if (line.compare(0, 6, "ready ") == 0) {
    auto j = nlohmann::json::parse(line.substr(6), nullptr, false);
    if (j.is_discarded()) j = nlohmann::json::object();
    printf("pool ready: gateway %s\n", json_str(j, "gateway").c_str());
    printf("  control %s\n  admin   %s\n  log     %s\n  pid     %d\n", json_str(j, "control").c_str(),
           json_str(j, "admin").c_str(), log.c_str(), pid);
    return 0;
  }
  int status = 0;
  if (eof) {
    waitpid(pid, &status, 0);
  } else {
    // Not ready in time: stop it (it drains), then insist.
    kill(pid, SIGTERM);
    double until = mono_s() + 10;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (mono_s() > until) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      usleep(20000);
    }
  }
  std::string text = file_contents(log);
  fputs(text.c_str(), stderr);
  if (!eof) {
    std::string why = last_ready > 0 ? "no instance became ready for " + format_duration(c.ready_timeout) + " (" +
                                           std::to_string(last_ready) + " were)"
                                     : "the pool was not ready after " + format_duration(c.ready_timeout);
    return pool_error(why + "; stopped it (log: " + log + ")");
  }
  int code = exit_code(status);
  pool_error("shoald exited with status " + std::to_string(code) + " before the pool was ready (log: " + log + ")");
  return code != 0 ? code : 1;
}

// Foreground on a terminal: relay shoald's output, keep a status line.
int run_foreground_tty(const UpCommand& c) {
  int out[2], ready[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0)
    return pool_error(std::string("pipe: ") + strerror(errno));
  auto args = shoald_args(c, ready[1]);
  pid_t pid = fork();
  if (pid < 0) return pool_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    fcntl(ready[1], F_SETFD, 0);
    exec_args(args);
  }
  close(out[1]);
  close(ready[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(ready[0], F_SETFL, O_NONBLOCK);

  // Ctrl-C goes to shoald as well (same process group); a SIGTERM sent to
  // the CLI alone is passed on. Either way the CLI waits for shoald.
  struct sigaction sa {};
  sa.sa_handler = [](int sig) { g_signal = sig; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);

  std::string pending, ready_line, control, shown;
  bool out_open = true, ready_open = true;
  double next_status = 0;
  int status = 0;
  auto show = [&](const std::string& s) {
    // \r + clear-to-end-of-line: the status line is replaced in place.
    fprintf(stderr, "\r\033[K%s", s.c_str());
    fflush(stderr);
    shown = s;
  };
  for (;;) {
    if (g_signal == SIGTERM || g_signal == SIGHUP) {
      kill(pid, SIGTERM);
      g_signal = 0;
    } else if (g_signal == SIGINT) {
      g_signal = 0;  // shoald got it too
    }
    pollfd p[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {ready_open ? ready[0] : -1, POLLIN, 0}};
    poll(p, 2, 100);
    if (out_open) {
      out_open = drain(out[0], pending);
      size_t nl;
      bool printed = false;
      while ((nl = pending.find('\n')) != std::string::npos) {
        if (!printed) fprintf(stderr, "\r\033[K");
        printed = true;
        fprintf(stderr, "%s\n", pending.substr(0, nl).c_str());
        pending.erase(0, nl + 1);
      }
      if (printed) show(shown);
    }
    if (ready_open) {
      ready_open = drain(ready[0], ready_line);
      if (control.empty()) control = ready_control(ready_line);
    }
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (!control.empty() && mono_s() >= next_status) {
      next_status = mono_s() + 0.5;
      auto s = control_ok(control, "GET", "/v1/status", nullptr, 400);
      if (s) show(status_line(s.value()));
    }
  }
  drain(out[0], pending);
  fprintf(stderr, "\r\033[K%s", pending.c_str());
  close(out[0]);
  close(ready[0]);
  return exit_code(status);
}

}  // namespace

int run_up(const UpCommand& c) {
  if (access(c.spec.c_str(), R_OK) != 0) return fail(c.spec + ": cannot open: " + strerror(errno));
  if (access(shoald_path().c_str(), X_OK) != 0) return pool_error(shoald_path() + ": shoald not found");
  if (c.detach) return run_detached(c);
  if (isatty(2)) return run_foreground_tty(c);
  exec_args(shoald_args(c, -1));
}

}  // namespace shoal::cli
