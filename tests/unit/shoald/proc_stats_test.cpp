#include "proc_stats.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include "instance_runtime.hpp"

namespace shoal::pool {
namespace {

TEST(ProcStats, ParsesStatWithAwkwardCommandName) {
  // The command name may hold spaces and parentheses: fields count from the last ')'.
  std::string stat =
      "1234 (we(ird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 12345 1000000 300 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
  auto ticks = parse_stat_cpu_ticks(stat);
  ASSERT_TRUE(ticks.has_value());
  EXPECT_EQ(*ticks, 300u);  // utime 250 + stime 50
}

TEST(ProcStats, RejectsTruncatedStat) {
  EXPECT_FALSE(parse_stat_cpu_ticks("1234 (x) S 1 2 3").has_value());
  EXPECT_FALSE(parse_stat_cpu_ticks("no parenthesis").has_value());
  EXPECT_FALSE(parse_stat_cpu_ticks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 5").has_value());
}

TEST(ProcStats, ParsesRss) {
  std::string stat =
      "1234 (we(ird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 12345 1000000 300 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  EXPECT_EQ(parse_stat_rss_pages(stat).value_or(0), 300u);  // field 24
  EXPECT_FALSE(parse_stat_rss_pages("1234 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20").has_value());
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
