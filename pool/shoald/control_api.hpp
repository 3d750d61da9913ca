// ControlApi: the calls of shoald's control socket (docs/control-api.md),
// HTTP/1.1 + JSON over a Unix socket:
//   GET  /v1/status                      the pool, its services and instances
//   GET  /v1/logs?instance=SVC[/N][&lines=K]
//                                        output of instances, exited ones too
//   POST /v1/scale {"service": S, "instances": N} | {"service": S, "auto": true}
//   POST /v1/down                        graceful stop
// Errors are {"error": "..."} with 400 (bad request), 404 (unknown path,
// service or instance), 405 (wrong method), 409 (the pool is stopping).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "api_server.hpp"
#include "supervisor.hpp"

namespace shoal::pool {

struct PoolInfo {
  std::string name;     // the pool's name (the spec's stem unless it says otherwise)
  std::string spec;     // absolute path of the spec file
  std::string gateway;  // "http://127.0.0.1:8080"
  std::string admin;    // "http://127.0.0.1:9090", "" without an admin listener
  std::string control;  // the socket path
  pid_t pid = 0;
};

class ControlApi {
 public:
  ControlApi(Supervisor& supervisor, PoolInfo info, std::function<void()> on_down)
      : m_supervisor(supervisor), m_info(std::move(info)), m_on_down(std::move(on_down)) {}

  ApiResponse handle(const ApiRequest& request);

  // The documents, for tests and for the ready line.
  nlohmann::json status() const;
  // The same document as text, written without building it as JSON objects
  // first (what GET /v1/status sends: 10,000 instances stay cheap).
  std::string status_text() const;
  Result<nlohmann::json> logs(const std::string& target, size_t max_lines) const;
  const PoolInfo& info() const { return m_info; }

 private:
  ApiResponse scale(std::string_view body);

  Supervisor& m_supervisor;
  PoolInfo m_info;
  std::function<void()> m_on_down;
};

// "2026-11-23T15:01:02.123Z" for a CLOCK_REALTIME time in nanoseconds.
std::string iso_time(uint64_t wall_ns);

}  // namespace shoal::pool
