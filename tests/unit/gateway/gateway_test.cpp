// The gateway over real channels and real TCP, with fake guests (no VM):
// routing, keep-alive, pipelining, compositions, retries, timeouts, limits,
// holding requests until capacity, and guest-to-service splices.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "fake_pool.hpp"

namespace shoal::pool::testing {
namespace {

struct Response {
  int status = 0;
  std::string head;
  std::string body;
};

int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += size_t(n);
  }
}

// Reads `count` Content-Length framed responses (fewer if the peer closes).
std::vector<Response> read_responses(int fd, size_t count, std::string* rest = nullptr) {
  std::vector<Response> out;
  std::string buf;
  char tmp[65536];
  while (out.size() < count) {
    size_t end = buf.find("\r\n\r\n");
    if (end != std::string::npos) {
      Response r;
      r.head = buf.substr(0, end);
      r.status = atoi(r.head.c_str() + 9);
      size_t len = 0;
      size_t cl = r.head.find("Content-Length: ");
      if (cl != std::string::npos) len = strtoul(r.head.c_str() + cl + 16, nullptr, 10);
      if (buf.size() >= end + 4 + len) {
        r.body = buf.substr(end + 4, len);
        buf.erase(0, end + 4 + len);
        out.push_back(std::move(r));
        continue;
      }
    }
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) break;
    buf.append(tmp, size_t(n));
  }
  if (rest) *rest = buf;
  return out;
}

bool peer_closed(int fd) {
  char c;
  return recv(fd, &c, 1, 0) == 0;
}

Reply echo(const std::string& name, const std::string& method, const std::string& target, const std::string& body) {
  return {200, "{\"svc\":\"" + name + "\",\"method\":\"" + method + "\",\"target\":\"" + target + "\",\"body\":\"" +
                   std::to_string(body.size()) + "\"}"};
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_loop = std::move(EventLoop::create().value());
    m_pool = std::make_unique<FakePool>(*m_loop);
    m_config.gateway.listen.port = 0;
  }
  void TearDown() override {
    m_gateway.reset();
    m_pool.reset();
  }

  void start() {
    m_gateway = std::make_unique<Gateway>(*m_loop, *m_pool, m_config);
    ASSERT_TRUE(m_gateway->start().ok());
    m_pool->attach(*m_gateway);
    m_loop->add_idle_hook([this] { return m_pool->pump(); });
  }

  // Runs the loop while `client` runs on another thread (bounded: 20 s).
  void run(std::function<void(uint16_t port)> client) {
    std::atomic<bool> done{false};
    uint16_t port = m_gateway->port();
    std::thread t([&] {
      client(port);
      done = true;
    });
    uint64_t deadline = EventLoop::now_ns() + 20'000'000'000ull;
    std::function<void()> check = [&] {
      if (done || EventLoop::now_ns() > deadline) {
        m_loop->stop();
        return;
      }
      m_loop->after(1'000'000, check);
    };
    m_loop->after(1'000'000, check);
    m_loop->run();
    t.join();
    ASSERT_TRUE(done) << "client did not finish in time";
  }

  std::unique_ptr<EventLoop> m_loop;
  std::unique_ptr<FakePool> m_pool;
  std::unique_ptr<Gateway> m_gateway;
  spec::Spec m_config;  // what the gateway reads (routes and the gateway table)
};

spec::Route route(std::string prefix, spec::RouteKind kind, std::vector<std::string> services, bool strip = false) {
  spec::Route r;
  r.path = std::move(prefix);
  r.kind = kind;
  r.services = std::move(services);
  r.strip_prefix = strip;
  return r;
}

TEST_F(GatewayTest, RoutesByPrefixAndAddsForwardingHeaders) {
  m_config.routes = {route("/a", spec::RouteKind::service, {"a"}, true),
                     route("/b", spec::RouteKind::service, {"b"})};
  Service& a = m_pool->add_service("a", 8080);
  Service& b = m_pool->add_service("b", 9000);
  std::string seen_target_a;
  m_pool->add_instance(a, [&](auto& m, auto& t, auto& body) {
    seen_target_a = t;
    return echo("a", m, t, body);
  });
  m_pool->add_instance(b, [](auto& m, auto& t, auto& body) { return echo("b", m, t, body); });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    send_all(fd, "GET /a/x?q=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /b/y HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n");
    auto rs = read_responses(fd, 3);
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_NE(rs[0].body.find("\"svc\":\"a\""), std::string::npos);
    EXPECT_NE(rs[0].body.find("\"target\":\"/x?q=1\""), std::string::npos);  // prefix stripped
    EXPECT_NE(rs[0].head.find("X-Request-Id: "), std::string::npos);
    EXPECT_NE(rs[1].body.find("\"target\":\"/b/y\""), std::string::npos);  // kept
    EXPECT_EQ(rs[2].status, 404);
    close(fd);
  });
  EXPECT_EQ(seen_target_a, "/x?q=1");
}

TEST_F(GatewayTest, ForwardsClientAddressAndRequestId) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  Service& a = m_pool->add_service("a", 8080);
  std::string headers_seen;
  // The fake guest sees only method/target/body; check the wire through a
  // body that echoes nothing: instead assert the gateway's response carries
  // the client's own id back.
  m_pool->add_instance(a, [](auto& m, auto& t, auto& body) { return echo("a", m, t, body); });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    send_all(fd, "GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: abc-123\r\n\r\n");
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_NE(rs[0].head.find("X-Request-Id: abc-123"), std::string::npos) << rs[0].head;
    close(fd);
  });
}

TEST_F(GatewayTest, KeepAliveReusesOneUpstreamConnection) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  Service& a = m_pool->add_service("a", 8080);
  m_pool->add_instance(a, [](auto& m, auto& t, auto& body) { return echo("a", m, t, body); });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    for (int i = 0; i < 20; ++i) {
      send_all(fd, "GET /n HTTP/1.1\r\nHost: h\r\n\r\n");
      auto rs = read_responses(fd, 1);
      ASSERT_EQ(rs.size(), 1u);
      ASSERT_EQ(rs[0].status, 200);
    }
    close(fd);
  });
  // One slot carried all twenty requests.
  EXPECT_EQ(a.instances[0]->channel->slots_in_use(), 1u);
  EXPECT_EQ(m_pool->picks, 20u);
  EXPECT_EQ(m_pool->finished, 20u);
}

TEST_F(GatewayTest, PostBodyReachesInstanceChunkedOrNot) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  Service& a = m_pool->add_service("a", 8080);
  std::vector<std::string> bodies;
  m_pool->add_instance(a, [&](auto&, auto&, auto& body) {
    bodies.push_back(body);
    return Reply{201, "ok"};
  });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    send_all(fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                 "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    auto rs = read_responses(fd, 2);
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].status, 201);
    EXPECT_EQ(rs[1].status, 201);
    close(fd);
  });
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], "hello");
  EXPECT_EQ(bodies[1], "abcde");
}

TEST_F(GatewayTest, PipelineFeedsEachStageThePreviousBody) {
  m_config.routes = {route("/p", spec::RouteKind::pipeline, {"a", "b", "c"})};
  Service& a = m_pool->add_service("a", 1);
  Service& b = m_pool->add_service("b", 2);
  Service& c = m_pool->add_service("c", 3);
  m_pool->add_instance(a, [](auto&, auto&, auto& body) { return Reply{200, body + "+a"}; });
  m_pool->add_instance(b, [](auto& m, auto&, auto& body) { return Reply{200, body + "+b" + m}; });
  m_pool->add_instance(c, [](auto&, auto&, auto& body) { return Reply{200, body + "+c"}; });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    send_all(fd, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nin");
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_EQ(rs[0].body, "in+a+bPOST+c");
    close(fd);
  });
}

TEST_F(GatewayTest, PipelineStopsAtFirstError) {
  m_config.routes = {route("/p", spec::RouteKind::pipeline, {"a", "b"})};
  Service& a = m_pool->add_service("a", 1);
  Service& b = m_pool->add_service("b", 2);
  int b_calls = 0;
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{409, "conflict"}; });
  m_pool->add_instance(b, [&](auto&, auto&, auto& body) {
    ++b_calls;
    return Reply{200, body};
  });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    send_all(fd, "GET /p HTTP/1.1\r\nHost: h\r\n\r\n");
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 409);
    EXPECT_EQ(rs[0].body, "conflict");
    close(fd);
  });
  EXPECT_EQ(b_calls, 0);
}

TEST_F(GatewayTest, FanoutJoinsAnswersKeyedByService) {
  m_config.routes = {route("/f", spec::RouteKind::fanout, {"a", "b"})};
  Service& a = m_pool->add_service("a", 1);
  Service& b = m_pool->add_service("b", 2);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{200, "{\"n\":1}"}; });
  m_pool->add_instance(b, [](auto&, auto&, auto&) { return Reply{200, "plain text"}; });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    send_all(fd, "GET /f HTTP/1.1\r\nHost: h\r\n\r\n");
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_EQ(rs[0].body, "{\"a\":{\"n\":1},\"b\":\"plain text\"}");
    close(fd);
  });
}

TEST_F(GatewayTest, ScatterSplitsArrayAcrossInstancesInOrder) {
  m_config.routes = {route("/s", spec::RouteKind::scatter, {"a"})};
  Service& a = m_pool->add_service("a", 1);
  std::vector<int> served(3);
  for (int k = 0; k < 3; ++k)
    m_pool->add_instance(a, [&served, k](auto&, auto&, auto& body) {
      ++served[k];
      return Reply{200, "{\"x\":" + body + "}"};
    });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    std::string body = "[1, 2, 3, 4, 5, 6]";
    send_all(fd, "POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_EQ(rs[0].body, "[{\"x\":1},{\"x\":2},{\"x\":3},{\"x\":4},{\"x\":5},{\"x\":6}]");
    send_all(fd, "POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 400);
    close(fd);
  });
  // Balanced: every instance took a share.
  for (int k = 0; k < 3; ++k) EXPECT_EQ(served[k], 2) << k;
}

TEST_F(GatewayTest, IdempotentRequestRetriedOnAnotherInstance) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  Service& a = m_pool->add_service("a", 1);
  int bad = 0, good = 0;
  m_pool->add_instance(a, [&](auto&, auto&, auto&) {
    ++bad;
    return Reply{0, "", true};
  });
  m_pool->add_instance(a, [&](auto&, auto&, auto&) {
    ++good;
    return Reply{200, "fine"};
  });
  start();
  int bad_after_gets = 0, posts_failed = 0;
  run([&](uint16_t port) {
    int fd = connect_to(port);
    for (int i = 0; i < 4; ++i) {
      send_all(fd, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      auto rs = read_responses(fd, 1);
      ASSERT_EQ(rs.size(), 1u);
      EXPECT_EQ(rs[0].status, 200);
      EXPECT_EQ(rs[0].body, "fine");
    }
    bad_after_gets = bad;
    // A POST that reached the failing instance is not repeated.
    for (int i = 0; i < 4; ++i) {
      send_all(fd, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx");
      auto rs = read_responses(fd, 1);
      ASSERT_EQ(rs.size(), 1u);
      if (rs[0].status == 502) ++posts_failed;
      else EXPECT_EQ(rs[0].status, 200);
    }
    close(fd);
  });
  // Every GET that met the failing instance was retried once and answered;
  // every POST that met it failed with 502; passive health saw them all.
  EXPECT_GT(bad_after_gets, 0);
  EXPECT_EQ(m_gateway->stats().retries, uint64_t(bad_after_gets));
  EXPECT_EQ(posts_failed, bad - bad_after_gets);
  EXPECT_GT(posts_failed, 0);
  EXPECT_EQ(m_pool->failures, uint64_t(bad));
  EXPECT_EQ(good, 4 + 4 - posts_failed);
}

TEST_F(GatewayTest, SilentInstanceTimesOutWith504) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  m_config.gateway.request_timeout = std::chrono::milliseconds(200);
  m_config.gateway.hold_timeout = std::chrono::milliseconds(0);
  Service& a = m_pool->add_service("a", 1);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{0, "", false, true}; });
  start();
  run([](uint16_t port) {
    int fd = connect_to(port);
    send_all(fd, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx");
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 504);
    close(fd);
  });
}

TEST_F(GatewayTest, BadRequestsGetTheirStatusAndOthersAreServed) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  m_config.gateway.max_header_bytes = 1024;
  Service& a = m_pool->add_service("a", 1);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{200, "ok"}; });
  start();
  run([](uint16_t port) {
    struct Case {
      std::string raw;
      int status;
    } cases[] = {
        {"GARBAGE\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n", 431},
        {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
        {"GET / HTTP/1.1\r\n\r\n", 400},  // no Host
        {"GET /x/../admin HTTP/1.1\r\nHost: h\r\n\r\n", 400},       // dot segment
        {"GET /x/%2E%2e/admin HTTP/1.1\r\nHost: h\r\n\r\n", 400},   // encoded dot segment
        {"GET /x%2fadmin HTTP/1.1\r\nHost: h\r\n\r\n", 400},        // encoded slash
    };
    int good = connect_to(port);
    for (auto& c : cases) {
      int fd = connect_to(port);
      send_all(fd, c.raw);
      auto rs = read_responses(fd, 1);
      ASSERT_EQ(rs.size(), 1u) << c.raw.substr(0, 40);
      EXPECT_EQ(rs[0].status, c.status) << c.raw.substr(0, 40);
      EXPECT_TRUE(peer_closed(fd));
      close(fd);
      // A well-behaved client on another connection is unaffected.
      send_all(good, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      auto ok = read_responses(good, 1);
      ASSERT_EQ(ok.size(), 1u);
      EXPECT_EQ(ok[0].status, 200);
    }
    close(good);
  });
}

TEST_F(GatewayTest, SlowClientGets408WhileOthersAreServed) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  m_config.gateway.header_timeout = std::chrono::milliseconds(300);
  Service& a = m_pool->add_service("a", 1);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{200, "ok"}; });
  start();
  run([](uint16_t port) {
    int slow = connect_to(port);
    std::string req = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    int good = connect_to(port);
    for (size_t i = 0; i < 6; ++i) {
      send_all(slow, req.substr(i, 1));  // one byte every 100 ms
      send_all(good, req);
      auto ok = read_responses(good, 1);
      ASSERT_EQ(ok.size(), 1u);
      EXPECT_EQ(ok[0].status, 200);
      usleep(100'000);
    }
    auto rs = read_responses(slow, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 408);
    EXPECT_TRUE(peer_closed(slow));
    close(slow);
    close(good);
  });
}

TEST_F(GatewayTest, HeldUntilAnInstanceIsReady) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  Service& a = m_pool->add_service("a", 1);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{200, "warm"}; }, false);
  start();
  // The "supervisor" brings the instance up 150 ms after the request arrived.
  bool readied = false;
  std::function<void()> poll = [&] {
    if (m_pool->waiting > 0 && !readied) {
      readied = true;
      m_loop->after(150'000'000, [&] { m_pool->make_ready(a, 0); });
      return;
    }
    if (!readied) m_loop->after(1'000'000, poll);
  };
  m_loop->after(1'000'000, poll);
  run([](uint16_t port) {
    int fd = connect_to(port);
    send_all(fd, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_EQ(rs[0].body, "warm");
    close(fd);
  });
  EXPECT_TRUE(readied);
  EXPECT_EQ(m_pool->waiting, 0u);
}

TEST_F(GatewayTest, HoldQueueBoundedAndTimed) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  m_config.gateway.max_held = 1;
  m_config.gateway.hold_timeout = std::chrono::milliseconds(200);
  m_config.gateway.request_timeout = std::chrono::nanoseconds(1);
  Service& a = m_pool->add_service("a", 1);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{200, "never"}; }, false);
  start();
  run([](uint16_t port) {
    int first = connect_to(port);
    send_all(first, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    usleep(50'000);
    int second = connect_to(port);
    send_all(second, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    auto r2 = read_responses(second, 1);
    ASSERT_EQ(r2.size(), 1u);
    EXPECT_EQ(r2[0].status, 503);  // the queue holds one
    auto r1 = read_responses(first, 1);
    ASSERT_EQ(r1.size(), 1u);
    EXPECT_EQ(r1[0].status, 504);  // held past the hold timeout
    close(first);
    close(second);
  });
}

TEST_F(GatewayTest, QueuedAtTheConcurrencyCapUntilQueueTimeout) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  m_config.gateway.request_timeout = std::chrono::milliseconds(2000);
  Service& a = m_pool->add_service("a", 1);
  a.max_concurrency = 1;
  m_pool->settings(a).queue_timeout = std::chrono::milliseconds(150);
  m_pool->add_instance(a, [](auto&, auto& t, auto&) {
    return t == "/slow" ? Reply{0, "", false, true} : Reply{200, "quick"};
  });
  start();
  run([](uint16_t port) {
    int busy = connect_to(port);
    send_all(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");  // takes the only slot
    usleep(50'000);
    int queued = connect_to(port);
    uint64_t t0 = EventLoop::now_ns();
    send_all(queued, "GET /quick HTTP/1.1\r\nHost: h\r\n\r\n");
    auto rs = read_responses(queued, 1);
    double waited_ms = double(EventLoop::now_ns() - t0) / 1e6;
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 503);
    EXPECT_GE(waited_ms, 140.0);
    EXPECT_LT(waited_ms, 1500.0);  // the queue timeout, not the request timeout
    close(queued);
    close(busy);
  });
}

// Regression: a request beyond an instance's free channel slots used to get 503
// "no capacity" (one instance, 64 wrk connections: half failed). It waits in
// the service's queue and goes when a slot frees; the keep-alive upstream
// connections carry every request.
TEST_F(GatewayTest, RequestsBeyondTheChannelSlotsWaitInsteadOf503) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  Service& a = m_pool->add_service("a", 1);
  m_pool->settings(a).queue = 1000;
  // 4 slots: the gateway may open 2 connections to the instance at once.
  FakeGuest& g = m_pool->add_instance(a, [](auto&, auto& t, auto&) { return Reply{200, t}; }, true, 4);
  start();
  constexpr int kClients = 24;
  run([](uint16_t port) {
    std::vector<int> fds;
    for (int k = 0; k < kClients; ++k) fds.push_back(connect_to(port));
    for (int round = 0; round < 3; ++round) {
      for (int k = 0; k < kClients; ++k)
        send_all(fds[k], "GET /r" + std::to_string(k) + " HTTP/1.1\r\nHost: h\r\n\r\n");
      for (int k = 0; k < kClients; ++k) {
        auto rs = read_responses(fds[k], 1);
        ASSERT_EQ(rs.size(), 1u) << k;
        EXPECT_EQ(rs[0].status, 200) << k << ": " << rs[0].body;
        EXPECT_EQ(rs[0].body, "/r" + std::to_string(k));
      }
    }
    for (int fd : fds) close(fd);
  });
  EXPECT_EQ(g.requests(), uint64_t(3 * kClients));
  EXPECT_EQ(m_gateway->stats().upstream_errors, 0u);
  EXPECT_EQ(m_pool->failures, 0u);
  EXPECT_EQ(m_pool->waiting, 0u);
}

// A scatter larger than an instance's slots and than the service's queue
// answers 200: its elements go a window at a time through the same queue.
TEST_F(GatewayTest, ScatterOfAThousandElementsAnswers200) {
  m_config.routes = {route("/s", spec::RouteKind::scatter, {"a"})};
  m_config.gateway.max_held = 100;  // the queue: far fewer than the elements
  Service& a = m_pool->add_service("a", 1);
  a.max_concurrency = 4;
  m_pool->add_instance(a, [](auto&, auto&, auto& body) { return Reply{200, "{\"x\":" + body + "}"}; }, true, 8);
  start();
  run([](uint16_t port) {
    std::string body = "[";
    for (int k = 0; k < 1000; ++k) body += (k ? "," : "") + std::to_string(k);
    body += "]";
    int fd = connect_to(port);
    send_all(fd, "POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200) << rs[0].body.substr(0, 300);
    EXPECT_EQ(rs[0].body.substr(0, 16), "[{\"x\":0},{\"x\":1}");
    EXPECT_NE(rs[0].body.find("{\"x\":999}]"), std::string::npos);
    close(fd);
  });
}

// Regression: on_guest_connect checked from.channel for null, then
// dereferenced it to refuse the slot. An instance whose channel is gone is
// now left alone.
TEST_F(GatewayTest, GuestConnectFromAnInstanceWithoutChannelIsIgnored) {
  Service& front = m_pool->add_service("front", 1);
  m_pool->add_instance(front, [](auto&, auto&, auto&) { return Reply{200, ""}; });
  start();
  Instance& i = *front.instances[0];
  Instance gone;
  gone.id = 99;
  gone.service = &front;
  m_gateway->on_guest_connect(gone, 130, 0, 1);   // no channel: nothing happens
  m_gateway->on_guest_connect(gone, 130, 77, 1);  // nor with an unknown service
  EXPECT_EQ(m_gateway->stats().splices, 0u);
  EXPECT_TRUE(i.channel != nullptr);
}

// Connection limit: at max_connections the gateway closes its longest-idle
// keep-alive connection to admit a new one...
TEST_F(GatewayTest, AtMaxConnectionsTheOldestIdleConnectionMakesRoom) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  m_config.gateway.max_connections = 4;
  Service& a = m_pool->add_service("a", 1);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{200, "ok"}; });
  start();
  EXPECT_EQ(m_gateway->max_connections(), 4u);
  run([](uint16_t port) {
    std::vector<int> idle;
    for (int k = 0; k < 4; ++k) {
      idle.push_back(connect_to(port));
      // One request answered: idle between requests, in this order.
      send_all(idle.back(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      ASSERT_EQ(read_responses(idle.back(), 1).size(), 1u);
    }
    int fd = connect_to(port);
    uint64_t t0 = EventLoop::now_ns();
    send_all(fd, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    auto rs = read_responses(fd, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_LT(double(EventLoop::now_ns() - t0) / 1e6, 100.0);
    EXPECT_TRUE(peer_closed(idle[0]));  // the oldest went
    close(fd);
    for (int c : idle) close(c);
  });
  EXPECT_GE(m_gateway->stats().idle_closed, 1u);
}

// ...but a new connection that has not sent its first request yet is spared
// for half a second (the request may still be on its way): the newcomer waits
// in the backlog, then the oldest silent one makes room.
TEST_F(GatewayTest, AtMaxConnectionsANewSilentConnectionIsSparedForItsGrace) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  m_config.gateway.max_connections = 2;
  Service& a = m_pool->add_service("a", 1);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{200, "ok"}; });
  start();
  run([](uint16_t port) {
    int silent0 = connect_to(port);
    int silent1 = connect_to(port);
    int fd = connect_to(port);
    uint64_t t0 = EventLoop::now_ns();
    send_all(fd, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    auto rs = read_responses(fd, 1);
    double waited_ms = double(EventLoop::now_ns() - t0) / 1e6;
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_GE(waited_ms, double(kFreshConnectionGraceNs) / 1e6 - 50.0);
    EXPECT_LT(waited_ms, 4000.0);
    EXPECT_TRUE(peer_closed(silent0));  // the oldest silent one went...
    // ...and the other, asked late, is still served.
    send_all(silent1, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(read_responses(silent1, 1).size(), 1u);
    close(fd);
    close(silent0);
    close(silent1);
  });
  EXPECT_EQ(m_gateway->stats().idle_closed, 1u);
}

// ...and when every connection is busy it stops watching the listener (no
// busy loop), keeps serving what it has, and accepts again once one closes.
TEST_F(GatewayTest, AtMaxConnectionsWithEveryoneBusyItPausesAcceptingWithoutSpinning) {
  m_config.routes = {route("/", spec::RouteKind::service, {"a"})};
  m_config.gateway.max_connections = 3;
  Service& a = m_pool->add_service("a", 1);
  m_pool->add_instance(a, [](auto&, auto&, auto&) { return Reply{200, "ok"}; });
  start();
  uint64_t iterations_while_full = 0;
  bool accepting_while_full = true;
  EventLoop& loop = *m_loop;
  Gateway& gw = *m_gateway;
  std::atomic<int> phase{0};
  std::atomic<uint64_t> mark{0};
  // Samples the loop's iterations over 300 ms once the client says the
  // gateway is full (phase 1).
  std::function<void()> sample = [&] {
    if (phase == 1 && mark == 0) {
      mark = loop.iterations();
      loop.after(300'000'000, [&] {
        iterations_while_full = loop.iterations() - mark;
        accepting_while_full = gw.accepting();
        phase = 2;
      });
      return;
    }
    if (phase == 0) loop.after(5'000'000, sample);
  };
  m_loop->after(5'000'000, sample);
  run([&](uint16_t port) {
    std::vector<int> busy;
    for (int k = 0; k < 3; ++k) {
      busy.push_back(connect_to(port));
      send_all(busy.back(), "GET / HTTP/1.1\r\nHost: h\r\n");  // a head not yet complete
    }
    int late = connect_to(port);  // in the backlog: not accepted
    send_all(late, "GET /late HTTP/1.1\r\nHost: h\r\n\r\n");
    usleep(100'000);
    phase = 1;
    while (phase != 2) usleep(10'000);
    // The connections it has are still served.
    send_all(busy[0], "Connection: close\r\n\r\n");
    auto rs = read_responses(busy[0], 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
    close(busy[0]);
    // One closed: the waiting connection is accepted and answered.
    rs = read_responses(late, 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
    close(late);
    for (size_t k = 1; k < busy.size(); ++k) close(busy[k]);
  });
  EXPECT_FALSE(accepting_while_full);
  // The run() helper wakes the loop every millisecond (about 300 times); a
  // listener left readable would spin it hundreds of thousands of times.
  EXPECT_LT(iterations_while_full, 3000u);
  EXPECT_GE(m_gateway->stats().accept_paused, 1u);
}

TEST_F(GatewayTest, GuestConnectIsSplicedToAnotherService) {
  Service& front = m_pool->add_service("front", 1);
  Service& back = m_pool->add_service("back", 7000);
  FakeGuest& caller = m_pool->add_instance(front, [](auto&, auto&, auto&) { return Reply{200, ""}; });
  m_pool->add_instance(back, [](auto& m, auto& t, auto& body) { return echo("back", m, t, body); });
  start();
  int slot = caller.connect(back.index, 7000);
  ASSERT_GE(slot, 0);
  int refused_slot = caller.connect(back.index, 7001);  // nobody listens there
  ASSERT_GE(refused_slot, 0);
  bool sent = false;
  std::string got;
  std::function<void()> drive = [&] {
    if (!sent && caller.connected(slot)) {
      caller.send(slot, "GET /inside HTTP/1.1\r\nHost: back\r\n\r\n");
      sent = true;
    }
    if (sent) got = caller.received(slot);
    if (got.find("\"target\":\"/inside\"") != std::string::npos && caller.refused(refused_slot)) {
      m_loop->stop();
      return;
    }
    m_loop->after(1'000'000, drive);
  };
  m_loop->after(1'000'000, drive);
  m_loop->after(5'000'000'000ull, [&] { m_loop->stop(); });
  m_loop->run();
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("\"svc\":\"back\""), std::string::npos) << got;
  EXPECT_TRUE(caller.refused(refused_slot));
  EXPECT_EQ(m_gateway->stats().splices, 2u);
}

}  // namespace
}  // namespace shoal::pool::testing
