// ApiServer over a real Unix socket, served by the event loop while a client
// thread talks to it.
#include "api_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace shoal::pool {
namespace {

TEST(QueryParam, FindsAndDecodes) {
  EXPECT_EQ(query_param("instance=cart%2F1&lines=5", "instance").value_or("-"), "cart/1");
  EXPECT_EQ(query_param("instance=cart%2F1&lines=5", "lines").value_or("-"), "5");
  EXPECT_EQ(query_param("a=x+y", "a").value_or("-"), "x y");
  EXPECT_EQ(query_param("flag&b=2", "flag").value_or("-"), "");
  EXPECT_FALSE(query_param("a=1", "b").has_value());
  EXPECT_EQ(query_param("a=%zz%4", "a").value_or("-"), "%zz%4");  // bad escapes kept as is
}

std::string unix_exchange(const std::string& path, const std::string& request) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "connect failed";
  }
  (void)!write(fd, request.data(), request.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

TEST(ApiServer, AnswersAndCloses) {
  auto loop = EventLoop::create().value();
  std::string path = "/tmp/shoald-api-test-" + std::to_string(getpid()) + "/c.sock";
  std::string seen_body;
  auto server = ApiServer::listen_unix(*loop, path, [&](const ApiRequest& r) -> ApiResponse {
    if (r.path == "/echo") {
      seen_body = std::string(r.body);
      return {200, "application/json", "{\"method\":\"" + std::string(r.method) + "\",\"q\":\"" + std::string(r.query) + "\"}"};
    }
    return api_error(404, "nope");
  });
  ASSERT_TRUE(server.ok()) << server.error().message;
  std::atomic<bool> done = false;
  std::string a, b, c;
  std::thread client([&] {
    a = unix_exchange(path, "POST /echo?x=1 HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\n\r\nhello");
    b = unix_exchange(path, "GET /missing HTTP/1.1\r\nHost: s\r\n\r\n");
    c = unix_exchange(path, "BAD\r\n\r\n");
    done = true;
  });
  std::function<void()> watch = [&] {
    if (done) loop->stop();
    else loop->after(1'000'000, watch);
  };
  loop->after(1'000'000, watch);
  loop->run();
  client.join();
  EXPECT_NE(a.find("HTTP/1.1 200"), std::string::npos) << a;
  EXPECT_NE(a.find("Connection: close"), std::string::npos) << a;
  EXPECT_NE(a.find("{\"method\":\"POST\",\"q\":\"x=1\"}"), std::string::npos) << a;
  EXPECT_EQ(seen_body, "hello");
  EXPECT_NE(b.find("HTTP/1.1 404"), std::string::npos) << b;
  EXPECT_NE(b.find("{\"error\":\"nope\"}"), std::string::npos) << b;
  EXPECT_NE(c.find("HTTP/1.1 400"), std::string::npos) << c;
}

TEST(ApiServer, RefusesASecondPoolOnTheSameSocket) {
  auto loop = EventLoop::create().value();
  std::string path = "/tmp/shoald-api-test-" + std::to_string(getpid()) + "/twice.sock";
  auto handler = [](const ApiRequest&) { return ApiResponse{}; };
  auto first = ApiServer::listen_unix(*loop, path, handler);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = ApiServer::listen_unix(*loop, path, handler);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("already running"), std::string::npos);
  // A stale socket file (its server gone) is replaced.
  first.value().reset();
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  close(fd);  // leaves the file, nobody listening
  auto third = ApiServer::listen_unix(*loop, path, handler);
  EXPECT_TRUE(third.ok()) << third.error().message;
}

int tcp_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Regression: 64 idle connections from any local user used to fill the
// admin listener's table for 10 s, and every later connection was closed
// unanswered. The oldest idle one now makes room, so /metrics and /healthz
// answer at once.
TEST(ApiServer, IdleConnectionsDoNotStarveTheAdminListener) {
  auto loop = EventLoop::create().value();
  auto server = ApiServer::listen_tcp(*loop, "127.0.0.1:0", [](const ApiRequest& r) -> ApiResponse {
    return {200, "text/plain", std::string(r.path) == "/healthz" ? "ok\n" : "metrics\n"};
  });
  ASSERT_TRUE(server.ok()) << server.error().message;
  uint16_t port = uint16_t(atoi(server.value()->address().c_str() + server.value()->address().rfind(':') + 1));
  std::atomic<bool> done = false;
  std::string health, metrics;
  double health_ms = 0;
  std::vector<int> idle;
  std::thread client([&] {
    for (size_t k = 0; k < ApiServer::kMaxConnections + 36; ++k) idle.push_back(tcp_connect(port));
    usleep(100'000);  // all accepted and idle
    for (auto* out : {&health, &metrics}) {
      uint64_t t0 = EventLoop::now_ns();
      int fd = tcp_connect(port);
      std::string req = std::string("GET ") + (out == &health ? "/healthz" : "/metrics") + " HTTP/1.1\r\nHost: a\r\n\r\n";
      (void)!write(fd, req.data(), req.size());
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) out->append(buf, size_t(n));
      close(fd);
      if (out == &health) health_ms = double(EventLoop::now_ns() - t0) / 1e6;
    }
    done = true;
  });
  std::function<void()> watch = [&] {
    if (done) loop->stop();
    else loop->after(1'000'000, watch);
  };
  loop->after(1'000'000, watch);
  loop->after(10'000'000'000ull, [&] { loop->stop(); });
  loop->run();
  client.join();
  for (int fd : idle) close(fd);
  EXPECT_NE(health.find("HTTP/1.1 200"), std::string::npos) << health;
  EXPECT_NE(health.find("ok"), std::string::npos) << health;
  EXPECT_NE(metrics.find("metrics"), std::string::npos) << metrics;
  // Well inside the header timeout: the answer came from the eviction, not
  // from waiting for idle connections to time out.
  EXPECT_LT(health_ms, 1000.0);
}

// An idle connection is closed after the header timeout, not the 10 s of a
// whole exchange.
TEST(ApiServer, ConnectionThatSendsNothingClosesAfterTheHeaderTimeout) {
  auto loop = EventLoop::create().value();
  auto server = ApiServer::listen_tcp(*loop, "127.0.0.1:0", [](const ApiRequest&) { return ApiResponse{}; });
  ASSERT_TRUE(server.ok()) << server.error().message;
  uint16_t port = uint16_t(atoi(server.value()->address().c_str() + server.value()->address().rfind(':') + 1));
  std::atomic<bool> done = false;
  double closed_ms = -1;
  std::thread client([&] {
    int fd = tcp_connect(port);
    uint64_t t0 = EventLoop::now_ns();
    char c;
    if (read(fd, &c, 1) == 0) closed_ms = double(EventLoop::now_ns() - t0) / 1e6;
    close(fd);
    done = true;
  });
  std::function<void()> watch = [&] {
    if (done) loop->stop();
    else loop->after(1'000'000, watch);
  };
  loop->after(1'000'000, watch);
  loop->after(8'000'000'000ull, [&] { loop->stop(); });
  loop->run();
  client.join();
  EXPECT_GE(closed_ms, double(ApiServer::kHeaderTimeoutNs) / 1e6 - 50);
  EXPECT_LT(closed_ms, double(ApiServer::kHeaderTimeoutNs) / 1e6 + 1000);
}


// Regression (make demo): a spec's control socket named straight in /tmp was
// refused once the socket's directory had to be private. A sticky shared
// directory is accepted; one others can write without the sticky bit is not.
TEST(ApiServer, ControlSocketInASharedStickyDirectory) {
  auto loop = EventLoop::create().value();
  char tmpl[] = "/tmp/shoald-sticky-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_EQ(chmod(dir.c_str(), 01777), 0);
  auto handler = [](const ApiRequest&) -> ApiResponse { return api_error(404, "nope"); };
  {
    auto server = ApiServer::listen_unix(*loop, dir + "/pool.sock", handler);
    EXPECT_TRUE(server.ok()) << server.error().message;
  }
  unlink((dir + "/pool.sock").c_str());
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  auto refused = ApiServer::listen_unix(*loop, dir + "/pool.sock", handler);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("writable by group or others"), std::string::npos) << refused.error().message;
  unlink((dir + "/pool.sock").c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace shoal::pool
