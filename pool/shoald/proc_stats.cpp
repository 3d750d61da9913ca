#include "proc_stats.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <string>

namespace shoal::pool {

namespace {

std::optional<std::string> read_small_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > 64 * 1024) break;
  }
  close(fd);
  return text;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<StatFields> parse_stat(std::string_view stat) {
  // The command name (field 2) is in parentheses and may contain spaces or
  // ')': fields are counted after the LAST ')'.
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(close_paren + 1);
  // rest starts at field 3 (state); utime is field 14, stime field 15, rss
  // (resident pages, the VmRSS of /proc/PID/status) field 24.
  StatFields out;
  int field = 3;
  size_t pos = 0;
  while (field <= 24) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    if (pos >= end) return std::nullopt;
    if (field == 14 || field == 15 || field == 24) {
      auto v = parse_u64(rest.substr(pos, end - pos));
      if (!v) return std::nullopt;
      if (field == 24) out.rss_pages = *v;
      else out.cpu_ticks += *v;
    }
    pos = end;
    ++field;
  }
  return out;
}

std::optional<ProcStats> read_proc_stats(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  // One file: /proc/PID/status has the same VmRSS but costs several times
  // more to render, and shoald samples every instance of a large pool.
  auto stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  auto fields = parse_stat(*stat);
  if (!fields) return std::nullopt;
  ProcStats out;
  static const long hz = sysconf(_SC_CLK_TCK);
  static const long page = sysconf(_SC_PAGESIZE);
  out.cpu_seconds = static_cast<double>(fields->cpu_ticks) / static_cast<double>(hz > 0 ? hz : 100);
  out.rss_bytes = fields->rss_pages * static_cast<uint64_t>(page > 0 ? page : 4096);  // 0 for a zombie
  return out;
}

}  // namespace shoal::pool
