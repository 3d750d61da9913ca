#include "proc_stats.hpp"

#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "instance_runtime.hpp"

namespace shoal::pool {
namespace {

TEST(ProcStats, ParsesStatWithAwkwardCommandName) {
  // The command name may hold spaces and parentheses: fields count from the last ')'.
  std::string stat =
      "1234 (we(ird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 12345 1000000 300 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
  auto f = parse_stat(stat);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->cpu_ticks, 300u);  // utime 250 + stime 50
  EXPECT_EQ(f->rss_pages, 300u);  // field 24
}

TEST(ProcStats, RejectsTruncatedStat) {
  EXPECT_FALSE(parse_stat("1234 (x) S 1 2 3").has_value());
  EXPECT_FALSE(parse_stat("no parenthesis").has_value());
  EXPECT_FALSE(parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 5 0 0 0 0 0 0 0 0 0 0").has_value());
  // Cut before rss (field 24).
  EXPECT_FALSE(parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 5 0 0 20 0 1 0 9").has_value());
}

// The same resident size as /proc/PID/status reports (VmRSS), read from stat.
TEST(ProcStats, RssMatchesStatus) {
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t vmrss_kib = 0;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) vmrss_kib = std::stoull(line.substr(6));
  auto st = read_proc_stats(getpid());
  ASSERT_TRUE(st.has_value());
  ASSERT_GT(vmrss_kib, 0u);
  // Both are snapshots a few instructions apart: allow a little growth.
  EXPECT_NEAR(static_cast<double>(st->rss_bytes) / 1024, static_cast<double>(vmrss_kib), 256);
}

TEST(ProcStats, ReadsOwnProcess) {
  auto st = read_proc_stats(getpid());
  ASSERT_TRUE(st.has_value());
  EXPECT_GT(st->rss_bytes, 0u);
  EXPECT_GE(st->cpu_seconds, 0.0);
  EXPECT_FALSE(read_proc_stats(-1).has_value());
}

TEST(DescribeExit, NamesMonitorStatuses) {
  EXPECT_EQ(describe_exit(0), "exit status 0");
  EXPECT_EQ(describe_exit(139 << 8), "exit status 139 (guest crash: SIGSEGV)");
  EXPECT_EQ(describe_exit(1 << 8), "exit status 1 (monitor error)");
  EXPECT_EQ(describe_exit(9), "killed by SIGKILL");  // WTERMSIG = 9
}

}  // namespace
}  // namespace shoal::pool
