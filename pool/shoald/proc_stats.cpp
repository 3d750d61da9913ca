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

std::optional<uint64_t> parse_stat_cpu_ticks(std::string_view stat) {
  // The command name (field 2) is in parentheses and may contain spaces or
  // ')': fields are counted after the LAST ')'.
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(close_paren + 1);
  // rest starts at field 3 (state); utime is field 14, stime field 15.
  uint64_t ticks = 0;
  int field = 3;
  size_t pos = 0;
  while (field <= 15) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    if (pos >= end) return std::nullopt;
    if (field == 14 || field == 15) {
      auto v = parse_u64(rest.substr(pos, end - pos));
      if (!v) return std::nullopt;
      ticks += *v;
    }
    pos = end;
    ++field;
  }
  return ticks;
}

std::optional<uint64_t> parse_status_rss(std::string_view status) {
  size_t at = status.find("\nVmRSS:");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = status.substr(at + 7);
  size_t pos = rest.find_first_not_of(" \t");
  if (pos == std::string_view::npos) return std::nullopt;
  size_t end = rest.find_first_not_of("0123456789", pos);
  auto kib = parse_u64(rest.substr(pos, end - pos));
  if (!kib) return std::nullopt;
  return *kib * 1024;
}

std::optional<ProcStats> read_proc_stats(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::string base = "/proc/" + std::to_string(pid);
  auto stat = read_small_file(base + "/stat");
  auto status = read_small_file(base + "/status");
  if (!stat || !status) return std::nullopt;
  auto ticks = parse_stat_cpu_ticks(*stat);
  if (!ticks) return std::nullopt;
  ProcStats out;
  static const long hz = sysconf(_SC_CLK_TCK);
  out.cpu_seconds = static_cast<double>(*ticks) / static_cast<double>(hz > 0 ? hz : 100);
  out.rss_bytes = parse_status_rss(*status).value_or(0);  // a zombie has no VmRSS
  return out;
}

}  // namespace shoal::pool
