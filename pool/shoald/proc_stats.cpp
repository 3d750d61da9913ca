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

std::optional<uint64_t> stat_field(std::string_view stat, int wanted) {
  // The command name (field 2) is in parentheses and may contain spaces or
  // ')': fields are counted after the LAST ')'.
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string_view::npos || wanted < 3) return std::nullopt;
  std::string_view rest = stat.substr(close_paren + 1);
  int field = 3;  // rest starts at field 3 (state)
  size_t pos = 0;
  for (;;) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find_first_of(" \n", pos);
    if (end == std::string_view::npos) end = rest.size();
    if (pos >= end) return std::nullopt;
    if (field == wanted) return parse_u64(rest.substr(pos, end - pos));
    pos = end;
    ++field;
  }
}

std::optional<uint64_t> parse_stat_cpu_ticks(std::string_view stat) {
  auto utime = stat_field(stat, 14), stime = stat_field(stat, 15);  // fields 14 and 15
  if (!utime || !stime) return std::nullopt;
  return *utime + *stime;
}

std::optional<uint64_t> parse_stat_rss_pages(std::string_view stat) { return stat_field(stat, 24); }

std::optional<ProcStats> read_proc_stats(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  // One file: shoald samples thousands of instances (stat's rss is VmRSS in pages).
  auto stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  auto ticks = parse_stat_cpu_ticks(*stat);
  if (!ticks) return std::nullopt;
  ProcStats out;
  static const long hz = sysconf(_SC_CLK_TCK);
  static const long page = sysconf(_SC_PAGESIZE);
  out.cpu_seconds = static_cast<double>(*ticks) / static_cast<double>(hz > 0 ? hz : 100);
  out.rss_bytes = parse_stat_rss_pages(*stat).value_or(0) * static_cast<uint64_t>(page > 0 ? page : 4096);
  return out;
}

}  // namespace shoal::pool
