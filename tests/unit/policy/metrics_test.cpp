// Metrics and their Prometheus text, compared byte for byte.
#include <gtest/gtest.h>

#include <cmath>

#include <shoal/pool/metrics/prometheus.hpp>

using namespace shoal::pool::metrics;

TEST(Metrics, CounterAndGaugeText) {
  Registry r;
  auto requests = r.counter("shoal_requests_total", "Requests answered, by service and status class.",
                            {"service", "code"});
  ASSERT_TRUE(requests.ok());
  auto in_flight = r.gauge("shoal_in_flight", "Requests in flight.", {"service"});
  ASSERT_TRUE(in_flight.ok());
  auto up = r.gauge("shoal_up", "1 while the pool runs.");
  ASSERT_TRUE(up.ok());

  (*requests)->with({"cart", "2xx"}).inc(3);
  (*requests)->with({"catalog", "2xx"}).inc();
  (*requests)->with({"cart", "5xx"}).inc(2);
  (*in_flight)->with({"cart"}).set(4);
  (*in_flight)->with({"cart"}).dec();
  (*in_flight)->with({"catalog"}).set(0.25);
  (*up)->with({}).set(1);

  EXPECT_EQ(to_prometheus(r),
            "# HELP shoal_requests_total Requests answered, by service and status class.\n"
            "# TYPE shoal_requests_total counter\n"
            "shoal_requests_total{service=\"cart\",code=\"2xx\"} 3\n"
            "shoal_requests_total{service=\"cart\",code=\"5xx\"} 2\n"
            "shoal_requests_total{service=\"catalog\",code=\"2xx\"} 1\n"
            "# HELP shoal_in_flight Requests in flight.\n"
            "# TYPE shoal_in_flight gauge\n"
            "shoal_in_flight{service=\"cart\"} 3\n"
            "shoal_in_flight{service=\"catalog\"} 0.25\n"
            "# HELP shoal_up 1 while the pool runs.\n"
            "# TYPE shoal_up gauge\n"
            "shoal_up 1\n");
}

TEST(Metrics, HistogramText) {
  Registry r;
  auto latency = r.histogram("shoal_request_seconds", "Request latency.", {"service"}, {0.005, 0.1, 1});
  ASSERT_TRUE(latency.ok());
  Histogram& h = (*latency)->with({"cart"});
  h.observe(0.001);
  h.observe(0.005);  // on the bound: counted in le="0.005"
  h.observe(0.05);
  h.observe(3);
  EXPECT_EQ(h.count(), 4u);

  EXPECT_EQ(to_prometheus(r),
            "# HELP shoal_request_seconds Request latency.\n"
            "# TYPE shoal_request_seconds histogram\n"
            "shoal_request_seconds_bucket{service=\"cart\",le=\"0.005\"} 2\n"
            "shoal_request_seconds_bucket{service=\"cart\",le=\"0.1\"} 3\n"
            "shoal_request_seconds_bucket{service=\"cart\",le=\"1\"} 3\n"
            "shoal_request_seconds_bucket{service=\"cart\",le=\"+Inf\"} 4\n"
            "shoal_request_seconds_sum{service=\"cart\"} 3.056\n"
            "shoal_request_seconds_count{service=\"cart\"} 4\n");
}

TEST(Metrics, HistogramWithoutLabelsAndDefaultBuckets) {
  Registry r;
  auto cold = r.histogram("shoal_cold_start_seconds", "Cold starts.");
  ASSERT_TRUE(cold.ok());
  (*cold)->with({}).observe(0.0007);
  std::string text = to_prometheus(r);
  EXPECT_NE(text.find("shoal_cold_start_seconds_bucket{le=\"0.0005\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shoal_cold_start_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shoal_cold_start_seconds_bucket{le=\"10\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shoal_cold_start_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shoal_cold_start_seconds_sum 0.0007\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shoal_cold_start_seconds_count 1\n"), std::string::npos) << text;
  EXPECT_EQ(latency_buckets().size(), 14u);
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Registry r;
  auto f = r.counter("odd_total", "Help with \\ backslash\nand newline \"quotes stay\".", {"path"});
  ASSERT_TRUE(f.ok());
  (*f)->with({"a\"b\\c\nd"}).inc();
  EXPECT_EQ(to_prometheus(r),
            "# HELP odd_total Help with \\\\ backslash\\nand newline \"quotes stay\".\n"
            "# TYPE odd_total counter\n"
            "odd_total{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, NumbersFormat) {
  auto fmt = [](double v) {
    std::string s;
    append_number(s, v);
    return s;
  };
  EXPECT_EQ(fmt(0), "0");
  EXPECT_EQ(fmt(-0.0), "0");
  EXPECT_EQ(fmt(42), "42");
  EXPECT_EQ(fmt(-3), "-3");
  EXPECT_EQ(fmt(0.5), "0.5");
  EXPECT_EQ(fmt(0.0005), "0.0005");
  EXPECT_EQ(fmt(1e20), "1e+20");
  EXPECT_EQ(fmt(INFINITY), "+Inf");
  EXPECT_EQ(fmt(-INFINITY), "-Inf");
  EXPECT_EQ(fmt(NAN), "NaN");
}

TEST(Metrics, EmptyFamiliesAreLeftOutAndRemovedSeriesDisappear) {
  Registry r;
  auto f = r.gauge("shoal_instance_memory_bytes", "Memory per instance.", {"service", "instance"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(to_prometheus(r), "");
  (*f)->with({"cart", "1"}).set(1048576);
  (*f)->with({"cart", "2"}).set(2097152);
  EXPECT_TRUE((*f)->remove({"cart", "1"}));
  EXPECT_FALSE((*f)->remove({"cart", "1"}));
  EXPECT_EQ(to_prometheus(r),
            "# HELP shoal_instance_memory_bytes Memory per instance.\n"
            "# TYPE shoal_instance_memory_bytes gauge\n"
            "shoal_instance_memory_bytes{service=\"cart\",instance=\"2\"} 2097152\n");
}

TEST(Metrics, SeriesReferencesStayValid) {
  Registry r;
  auto f = r.counter("c_total", "c", {"k"});
  ASSERT_TRUE(f.ok());
  Counter& first = (*f)->with({"m"});
  for (int i = 0; i < 1000; ++i) (*f)->with({std::to_string(i)}).inc();
  first.inc(7);
  EXPECT_EQ((*f)->with({"m"}).value(), 7u);
}

TEST(Metrics, RegistrationErrors) {
  Registry r;
  EXPECT_FALSE(r.counter("9lives", "x").ok());
  EXPECT_FALSE(r.counter("has-dash", "x").ok());
  EXPECT_FALSE(r.counter("", "x").ok());
  EXPECT_TRUE(r.counter("ns:name_total", "x").ok());
  EXPECT_FALSE(r.counter("ns:name_total", "again").ok());
  EXPECT_FALSE(r.gauge("g", "x", {"__reserved"}).ok());
  EXPECT_FALSE(r.gauge("g", "x", {"a", "a"}).ok());
  EXPECT_FALSE(r.gauge("g", "x", {"bad label"}).ok());
  EXPECT_FALSE(r.histogram("h", "x", {"le"}).ok());
  EXPECT_FALSE(r.histogram("h", "x", {}, {1, 1}).ok());
  EXPECT_FALSE(r.histogram("h", "x", {}, {2, 1}).ok());
  EXPECT_FALSE(r.histogram("h", "x", {}, {1, INFINITY}).ok());
  auto e = r.counter("bad name", "x");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "metric name 'bad name' is not [a-zA-Z_:][a-zA-Z0-9_:]*");
  EXPECT_TRUE(r.histogram("h", "x", {"service"}, {0.1, 1}).ok());
}

TEST(Metrics, HistogramDropsNaN) {
  Histogram h({1});
  h.observe(NAN);
  h.observe(2);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{0, 1}));
}

TEST(MetricsDeathTest, WrongLabelCountAborts) {
  Registry r;
  auto f = r.counter("c_total", "c", {"a", "b"});
  ASSERT_TRUE(f.ok());
  EXPECT_DEATH((*f)->with({"only-one"}), "has 2 labels, given 1");
}
