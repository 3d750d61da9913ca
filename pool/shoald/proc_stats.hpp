// CPU time and resident memory of a monitor process, from /proc/PID/stat (for `shoal ps`/`top` and the status call). The guest runs
// inside its monitor's process, so these are the instance's totals.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string_view>

namespace shoal::pool {

struct ProcStats {
  double cpu_seconds = 0;   // utime + stime of every thread
  uint64_t rss_bytes = 0;   // VmRSS
};

// nullopt when the process is gone (or /proc is unreadable).
std::optional<ProcStats> read_proc_stats(pid_t pid);

// The parsers, apart from the file reads so they can be tested.
// `stat` is the text of /proc/PID/stat; returns utime+stime in clock ticks.
std::optional<uint64_t> parse_stat_cpu_ticks(std::string_view stat);
// Field 24 of `stat`: the resident set (VmRSS) in pages.
std::optional<uint64_t> parse_stat_rss_pages(std::string_view stat);

}  // namespace shoal::pool
