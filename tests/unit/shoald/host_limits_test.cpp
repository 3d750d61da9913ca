// The host-limit check shoald runs at start-up: each limit named with the
// value needed, only when exceeded.
#include "host_limits.hpp"

#include <gtest/gtest.h>

namespace shoal::pool {
namespace {

HostLimits roomy() {
  HostLimits h;
  h.pid_max = 4194304;
  h.threads_max = 1000000;
  h.tasks_now = 500;
  h.max_map_count = 262144;
  h.nofile = 1 << 20;
  h.mnt_namespaces = 100000;
  h.mem_available_kib = 24ull << 20;
  h.root = true;
  return h;
}

bool mentions(const std::vector<LimitProblem>& v, const std::string& what, bool fatal) {
  for (const auto& p : v)
    if (p.message.find(what) != std::string::npos && p.fatal == fatal) return true;
  return false;
}

TEST(HostLimits, TenThousandFitARoomyHost) { EXPECT_TRUE(check_host_limits(roomy(), 10000).empty()); }

TEST(HostLimits, PidMaxCountsTwoTasksPerInstanceAndThoseRunning) {
  HostLimits h = roomy();
  h.pid_max = 32768;
  h.tasks_now = 1000;
  EXPECT_TRUE(check_host_limits(h, 10000).empty());  // 21,000 < 32,768
  auto p = check_host_limits(h, 16000);              // 33,000
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(mentions(p, "kernel.pid_max is 32768", true)) << p[0].message;
  EXPECT_TRUE(mentions(p, "sysctl -w kernel.pid_max=", true));
}

TEST(HostLimits, EachLimitIsNamed) {
  HostLimits h = roomy();
  h.threads_max = 10000;
  h.max_map_count = 65530;
  h.nofile = 20000;
  h.mnt_namespaces = 5000;
  h.mem_available_kib = 1 << 20;
  auto p = check_host_limits(h, 100000);
  EXPECT_TRUE(mentions(p, "kernel.threads-max", true));
  EXPECT_TRUE(mentions(p, "vm.max_map_count is 65530", true));
  EXPECT_TRUE(mentions(p, "may open 20000 (its hard RLIMIT_NOFILE", true));
  EXPECT_TRUE(mentions(p, "ulimit -Hn", true));
  EXPECT_TRUE(mentions(p, "user.max_mnt_namespaces", true));
  EXPECT_TRUE(mentions(p, "MiB are available", false));  // memory: a warning
  h.root = false;  // not root: no jail namespaces
  p = check_host_limits(h, 100000);
  EXPECT_FALSE(mentions(p, "user.max_mnt_namespaces", true));
}

// shop.pool_limits_connections starts one instance under `ulimit -n 256`.
TEST(HostLimits, AFewInstancesFitASmallDescriptorLimit) {
  HostLimits h = roomy();
  h.nofile = 256;
  EXPECT_TRUE(check_host_limits(h, 1).empty());
  EXPECT_TRUE(check_host_limits(h, 30).empty());
  EXPECT_TRUE(check_host_limits(h, 150).empty());  // one descriptor each (the to_guest eventfd)
  EXPECT_FALSE(check_host_limits(h, 250).empty());
}

// Issue 13: this machine's shoald may hold 20,000 descriptors (root without
// CAP_SYS_RESOURCE); 10,000 instances fit under it, 25,000 do not.
TEST(HostLimits, TenThousandFitTwentyThousandDescriptors) {
  HostLimits h = roomy();
  h.nofile = 20000;
  EXPECT_TRUE(check_host_limits(h, 10000).empty());
  EXPECT_TRUE(mentions(check_host_limits(h, 25000), "may open 20000 (its hard RLIMIT_NOFILE", true));
}

TEST(HostLimits, UnreadableValuesAreNotChecked) {
  EXPECT_TRUE(check_host_limits(HostLimits{}, 1000000).empty());
  EXPECT_TRUE(check_host_limits(roomy(), 0).empty());
}

TEST(HostLimits, ReadsThisHost) {
  HostLimits h = read_host_limits();
  EXPECT_GT(h.pid_max, 0u);
  EXPECT_GT(h.threads_max, 0u);
  EXPECT_GT(h.tasks_now, 0u);
  EXPECT_GT(h.max_map_count, 0u);
  EXPECT_GT(h.mem_available_kib, 0u);
}

}  // namespace
}  // namespace shoal::pool
