// bench/pool's parts that can be checked without a load run: wrk's report
// parsed, and the nginx configuration accepted by nginx itself.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pool_nginx.hpp"
#include "pool_proc.hpp"
#include "pool_wrk.hpp"

using namespace shoal::bench::pool;

namespace {

// A report as wrk 4.1.0 (Debian) prints it with --latency.
const char* kReport = R"(Running 10s test @ http://127.0.0.1:8080/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.48ms    1.34ms  28.52ms   92.06%
    Req/Sec    22.18k     1.60k   25.36k    74.00%
  Latency Distribution
     50%    1.21ms
     75%    1.58ms
     90%    2.20ms
     99%    7.41ms
  220727 requests in 10.00s, 21.26MB read
  Socket errors: connect 0, read 12, write 1, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  22069.52
Transfer/sec:      2.13MB
)";

TEST(WrkReport, Parsed) {
  auto r = parse_wrk(kReport);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->rps, 22069.52);
  EXPECT_DOUBLE_EQ(r->p50_us, 1210);
  EXPECT_DOUBLE_EQ(r->p99_us, 7410);
  EXPECT_EQ(r->requests, 220727);
  EXPECT_EQ(r->socket_errors, 16);
  EXPECT_EQ(r->non_2xx, 7);
}

TEST(WrkReport, CleanRunHasNoErrors) {
  std::string clean = kReport;
  clean.erase(clean.find("  Socket errors"), clean.find("Requests/sec") - clean.find("  Socket errors"));
  auto r = parse_wrk(clean);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->socket_errors, 0);
  EXPECT_EQ(r->non_2xx, 0);
}

TEST(WrkReport, MissingFiguresAreErrors) {
  EXPECT_FALSE(parse_wrk("unable to connect to 127.0.0.1:8080 Connection refused\n").ok());
  std::string no_latency = kReport;
  no_latency.erase(no_latency.find("  Latency Distribution"),
                   no_latency.find("  220727") - no_latency.find("  Latency Distribution"));
  auto r = parse_wrk(no_latency);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("--latency"), std::string::npos);
}

TEST(WrkReport, Durations) {
  EXPECT_DOUBLE_EQ(wrk_duration_us("383.12us"), 383.12);
  EXPECT_DOUBLE_EQ(wrk_duration_us("1.07ms"), 1070);
  EXPECT_DOUBLE_EQ(wrk_duration_us("2.00s"), 2e6);
  EXPECT_DOUBLE_EQ(wrk_duration_us("1.50m"), 90e6);
  EXPECT_LT(wrk_duration_us("fast"), 0);
  EXPECT_LT(wrk_duration_us("3.0parsecs"), 0);
}

TEST(NginxConf, ProxiesToEveryUpstreamWithKeepAlive) {
  std::string conf = nginx_conf({"/tmp/n", 18080, {18081, 18082, 18083}, 1, 32});
  for (const char* want : {"worker_processes 1;", "daemon off;", "listen 127.0.0.1:18080;",
                           "server 127.0.0.1:18081;", "server 127.0.0.1:18082;", "server 127.0.0.1:18083;",
                           "keepalive 32;", "proxy_http_version 1.1;", "proxy_set_header Connection \"\";",
                           "access_log off;", "pid /tmp/n/nginx.pid;"})
    EXPECT_NE(conf.find(want), std::string::npos) << want << "\n" << conf;
}

// nginx itself accepts the configuration (`nginx -t`), in a private prefix.
TEST(NginxConf, AcceptedByNginx) {
  char tmpl[] = "/tmp/shoal-nginx-conf-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string path = dir + "/nginx.conf";
  std::ofstream(path) << nginx_conf({dir, 18080, {18081, 18082}, 1, 32});
  Finished f = run_bounded({"nginx", "-t", "-p", dir, "-c", path}, 10000);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(f.status, 0) << f.out << f.err;
  EXPECT_NE(f.err.find("test is successful"), std::string::npos) << f.err;
}

}  // namespace
