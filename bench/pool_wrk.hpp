// wrk (Debian's) as the load generator for bench/pool, and its report parsed.
#pragma once

#include <string>

#include "shoal/base/result.hpp"

namespace shoal::bench::pool {

struct WrkOptions {
  int threads = 1;
  int connections = 32;
  int seconds = 10;
};

struct WrkResult {
  double rps = 0;
  double p50_us = 0, p99_us = 0;
  long requests = 0;
  long socket_errors = 0;  // connect + read + write + timeout
  long non_2xx = 0;        // "Non-2xx or 3xx responses"
  std::string report;      // wrk's output, verbatim
};

// Runs `wrk -tT -cC -dDs --latency URL`, bounded by the duration plus a margin.
Result<WrkResult> run_wrk(const std::string& url, const WrkOptions& options);

// Parses wrk --latency output (exposed for testing the parser).
Result<WrkResult> parse_wrk(const std::string& report);

// "383.12us", "1.07ms", "2.00s", "1.50m" -> microseconds; < 0 if malformed.
double wrk_duration_us(const std::string& text);

}  // namespace shoal::bench::pool
