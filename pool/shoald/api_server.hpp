// ApiServer: the small HTTP/1.1 server behind shoald's control socket (Unix,
// JSON) and admin listener (TCP, Prometheus /metrics and /healthz).
//
// One request per connection: the answer carries "Connection: close" and the
// connection closes once it is written. That is all the CLI and a Prometheus
// scraper need, and it keeps the server trivially bounded: at most
// kMaxConnections at once, kMaxBody bytes of request body, kHeaderTimeout to
// deliver the request and kTimeout for the whole exchange. Idle connections
// cannot starve it: at kMaxConnections a new connection closes the oldest one
// that has not delivered its request yet, so /metrics, /healthz and the
// control calls stay answerable whatever any local user holds open.
#pragma once

#include <stdint.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "event_loop.hpp"
#include "shoal/base/result.hpp"

namespace shoal::pool {

struct ApiRequest {
  std::string_view method;
  std::string_view path;   // without the query
  std::string_view query;  // after '?', undecoded ("" when none)
  std::string_view body;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class ApiServer {
 public:
  using Handler = std::function<ApiResponse(const ApiRequest&)>;
  static constexpr size_t kMaxConnections = 64;
  static constexpr size_t kMaxBody = 64 * 1024;
  static constexpr uint64_t kTimeoutNs = 10'000'000'000ull;
  static constexpr uint64_t kHeaderTimeoutNs = 2'000'000'000ull;

  // A Unix socket at `path` (an old socket file there is replaced, unless a
  // live server answers on it: then the error says a pool is already running).
  static Result<std::unique_ptr<ApiServer>> listen_unix(EventLoop& loop, const std::string& path, Handler handler);
  // TCP on "host:port" (IPv4 literal or "localhost"); port 0 picks a free one.
  static Result<std::unique_ptr<ApiServer>> listen_tcp(EventLoop& loop, const std::string& address, Handler handler);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // "unix:PATH" or "127.0.0.1:PORT" (the port actually bound).
  const std::string& address() const { return m_address; }
  // Stops accepting; open connections finish. The Unix socket file is removed.
  void close_listener();

 private:
  struct Connection;
  ApiServer(EventLoop& loop, int fd, std::string address, std::string unix_path, Handler handler);
  void on_accept();
  void on_readable(int fd);
  void on_writable(int fd);
  void respond(Connection& c, const ApiResponse& r);
  void close_connection(int fd);
  // Closes the oldest connection still waiting for its request (else the
  // oldest of all); false if there is none.
  bool evict_oldest();
  void arm_listener();

  EventLoop& m_loop;
  int m_fd;
  std::string m_address;
  std::string m_unix_path;
  Handler m_handler;
  std::unordered_map<int, std::unique_ptr<Connection>> m_connections;
  uint64_t m_accept_seq = 0;
  bool m_listener_armed = false;
  EventLoop::TimerId m_rearm_timer = 0;
};

// Query-string parameter `name` ("a=1&b=x%2Fy"), percent-decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// {"error": message} with `status`.
ApiResponse api_error(int status, std::string_view message);

}  // namespace shoal::pool
