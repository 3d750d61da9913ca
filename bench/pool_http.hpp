// Loopback HTTP probes for bench/pool: free ports, readiness, and one timed
// request (connect -> the complete response), for the cold-start figures.
#pragma once

#include <cstdint>
#include <string>

#include "shoal/base/result.hpp"

namespace shoal::bench::pool {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
Result<uint16_t> free_port();

struct HttpAnswer {
  int status = 0;
  std::string body;
  double us = 0;  // connect -> last byte of the response
};

// GET path on 127.0.0.1:port; the whole exchange within timeout_ms.
Result<HttpAnswer> http_get(uint16_t port, const std::string& path, int timeout_ms);

// Polls http_get until it answers 200 or timeout_ms passes.
bool wait_http_ok(uint16_t port, const std::string& path, int timeout_ms);

}  // namespace shoal::bench::pool
