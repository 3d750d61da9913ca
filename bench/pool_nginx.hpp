// nginx (Debian's) as the reference reverse proxy for bench/pool: our own
// instance, own configuration in a temporary directory, in the foreground.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pool_proc.hpp"

namespace shoal::bench::pool {

struct NginxConfig {
  std::string dir;                  // prefix: config, pid, logs, temp files
  uint16_t listen = 0;              // 127.0.0.1:listen
  std::vector<uint16_t> upstreams;  // 127.0.0.1:port each
  int workers = 1;
  int upstream_keepalive = 32;
};

// nginx.conf for `config`: round robin over the upstreams with idle
// keep-alive connections to them (HTTP/1.1), no access log.
std::string nginx_conf(const NginxConfig& config);

// Writes the config, starts `nginx -p DIR -c DIR/nginx.conf` (daemon off) and
// waits until it proxies GET / with 200. The Child stops it.
Result<Child> start_nginx(const NginxConfig& config, int timeout_ms);

// "nginx/1.22.1", from `nginx -v`.
std::string nginx_version();

}  // namespace shoal::bench::pool
