// Shared helpers for shoal's benchmark drivers: spawn a command, wait for it,
// and report wall time, peak RSS and captured stderr.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace shoal::bench {

struct RunResult {
  double wall_us = 0;      // spawn → exit, as the caller sees it
  long maxrss_kb = 0;      // peak RSS of the child (ru_maxrss)
  int status = -1;         // exit status, or 128 + signal
  std::string out;         // captured stdout
  std::string err;         // captured stderr
};

// Runs argv with the given extra environment (KEY=VALUE), capturing output.
// `t0_env` adds SHOAL_BENCH_T0=<CLOCK_MONOTONIC ns just before spawning>.
RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
              bool t0_env = false);

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Peak resident memory (VmHWM, KiB) of the program argv runs, read from
// /proc/PID/status when the process stops at its exit under ptrace
// (PTRACE_O_TRACEEXIT). Unlike ru_maxrss this excludes the spawning process:
// exec starts a fresh address space and VmHWM describes only that one.
long peak_rss_kb(const std::vector<std::string>& argv);

// Value of `key=` in a line such as "shoal-vmm timing: a=1 b=2", or -1.
double field(const std::string& text, const std::string& key);

}  // namespace shoal::bench
