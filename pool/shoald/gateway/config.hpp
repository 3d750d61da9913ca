// What the gateway is told by the spec (pool/spec maps onto this in main).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace shoal::pool {

struct RouteConfig {
  enum class Kind : uint8_t { service, pipeline, fanout, scatter };
  std::string host;          // empty = any Host
  std::string path_prefix;   // "/" matches everything
  Kind kind = Kind::service;
  std::vector<std::string> services;  // one for service/scatter, several otherwise
  bool strip_prefix = false;
  bool retryable = false;    // non-idempotent methods may be retried too
  uint64_t timeout_ns = 0;   // 0 = the gateway's request_timeout
};

// Descriptors kept for everything but client connections when
// max_connections is derived: instances (a pidfd, two eventfds and two log
// pipes each), upstream helpers, the control and admin sockets.
inline constexpr uint32_t kFdReserve = 1024;
inline constexpr uint32_t kMinConnections = 64;

struct GatewayConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  size_t max_header_bytes = 16 << 10;
  size_t max_body_bytes = 8 << 20;
  uint64_t header_timeout_ns = 10'000'000'000;   // first byte -> complete head
  uint64_t body_timeout_ns = 30'000'000'000;     // head -> complete body
  uint64_t idle_timeout_ns = 60'000'000'000;     // keep-alive with no request
  uint64_t request_timeout_ns = 30'000'000'000;  // upstream answer, per attempt
  uint64_t hold_timeout_ns = 10'000'000'000;     // waiting for an instance (cold start, queue)
  uint32_t max_held = 1024;                      // requests waiting per service
  // Client connections at once; 0 = derived from RLIMIT_NOFILE at start()
  // (the limit minus kFdReserve, at least kMinConnections).
  uint32_t max_connections = 0;
  std::vector<RouteConfig> routes;
};

}  // namespace shoal::pool
