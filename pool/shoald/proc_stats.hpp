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

// The parser, apart from the file read so it can be tested: `stat` is the
// text of /proc/PID/stat.
struct StatFields {
  uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks
  uint64_t rss_pages = 0;  // resident pages (VmRSS / page size)
};
std::optional<StatFields> parse_stat(std::string_view stat);

}  // namespace shoal::pool
