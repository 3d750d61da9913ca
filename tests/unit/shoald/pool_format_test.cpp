// The CLI's formatting of pool status (cli/src/pool_format.cpp).
#include "pool_format.hpp"

#include <gtest/gtest.h>

namespace shoal::cli {
namespace {

TEST(PoolFormat, Durations) {
  EXPECT_EQ(format_duration(0.0421), "42ms");
  EXPECT_EQ(format_duration(42.4), "42s");
  EXPECT_EQ(format_duration(187), "3m07s");
  EXPECT_EQ(format_duration(7500), "2h05m");
  EXPECT_EQ(format_duration(-1), "0ms");
}

TEST(PoolFormat, BytesRatesCpu) {
  EXPECT_EQ(format_bytes(812 * 1024), "812K");
  EXPECT_EQ(format_bytes(12.3 * 1024 * 1024), "12.3M");
  EXPECT_EQ(format_bytes(1.5 * 1024 * 1024 * 1024), "1.50G");
  EXPECT_EQ(format_rate(0), "0");
  EXPECT_EQ(format_rate(12.46), "12.5");
  EXPECT_EQ(format_rate(340.2), "340");
  EXPECT_EQ(format_rate(12345), "12.3k");
  EXPECT_EQ(format_cpu(0.042), "0.04s");
  EXPECT_EQ(format_cpu(12.34), "12.3s");
  EXPECT_EQ(format_cpu(187), "3m07s");
}

TEST(PoolFormat, TableAlignsColumns) {
  Table t({"A", "LONGER"});
  t.add({"wide-cell", "x"});
  EXPECT_EQ(t.render(), "A          LONGER\nwide-cell  x\n");
}

TEST(PoolFormat, StatusLineSumsServicesAndToleratesMissingFields) {
  nlohmann::json s = {{"pool", {{"name", "shop"}, {"uptime_s", 65}, {"state", "stopping"}}},
                      {"services",
                       {{{"ready", 2}, {"desired", 3}, {"in_flight", 4}, {"waiting", 1}, {"rps", 10.5}},
                        {{"ready", 1}, {"desired", 1}, {"rps", 2}}}}};
  EXPECT_EQ(status_line(s), "shop: 2 services, 3/4 ready, 5 in flight, 12.5 rps, up 1m05s [stopping]");
  EXPECT_EQ(status_line(nlohmann::json::object()), "pool: 0 services, 0/0 ready, 0 in flight, 0 rps, up 0ms");
  EXPECT_EQ(json_str(nlohmann::json{{"pid", 42}}, "pid"), "42");
  EXPECT_EQ(json_num(nlohmann::json{{"x", "text"}}, "x", 7), 7);
}

}  // namespace
}  // namespace shoal::cli
