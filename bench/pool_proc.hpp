// Child processes for bench/pool: every one in its own process group, every
// wait bounded, and every group killed on every way out (normal return, error,
// SIGINT/SIGTERM/SIGHUP), so a benchmark never leaves servers behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "shoal/base/result.hpp"

namespace shoal::bench::pool {

// Installs SIGINT/SIGTERM/SIGHUP handlers that kill every live child group
// and set interrupted(); the main flow then unwinds and cleans up the rest.
void install_signal_cleanup();
bool interrupted();

double now_us();

// A background process (a server). Destroying it kills its process group.
class Child {
 public:
  // Starts argv with extra environment (KEY=VALUE); stdout and stderr go to
  // `log_path`.
  static Result<Child> spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                             const std::string& log_path);
  Child(Child&& other) noexcept : m_pid(other.m_pid), m_log(std::move(other.m_log)) { other.m_pid = -1; }
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  ~Child() { stop(); }

  pid_t pid() const { return m_pid; }
  const std::string& log_path() const { return m_log; }
  bool running();
  // SIGTERM to the group, then SIGKILL after `grace_ms`; waits for the child.
  void stop(int grace_ms = 2000);

 private:
  Child(pid_t pid, std::string log) : m_pid(pid), m_log(std::move(log)) {}
  pid_t m_pid = -1;
  std::string m_log;
};

struct Finished {
  int status = -1;       // exit status, 128 + signal, or 124 after the time limit
  bool timed_out = false;
  std::string out, err;  // captured (first MiB of each)
  double wall_us = 0;
};

// Runs argv to completion, killing its process group after `timeout_ms`, or
// at once after a signal unless `cleanup` (a clean-up step, such as `shoal
// down`, must run to its end even then).
Finished run_bounded(const std::vector<std::string>& argv, int timeout_ms, const std::vector<std::string>& env = {},
                     bool cleanup = false);

std::string read_file(const std::string& path, size_t max = 1 << 20);

}  // namespace shoal::bench::pool
