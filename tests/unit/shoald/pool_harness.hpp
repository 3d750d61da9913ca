// A whole pool in the test process: event loop, supervisor, gateway (on a
// free port), with fake_vmm as the monitor. HTTP clients run on other
// threads while the test's thread runs the loop until a condition holds.
#pragma once

#include <signal.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "../../lib/http_client.hpp"
#include "event_loop.hpp"
#include "gateway/gateway.hpp"
#include "pool_metrics.hpp"
#include "supervisor.hpp"

namespace shoal::pool::testing {

using shoal::test::HttpAnswer;
using shoal::test::http_request;

inline spec::Service fake_service(const std::string& name, uint32_t instances) {
  spec::Service c;
  c.name = name;
  c.image_path = FAKE_VMM_PATH;  // any readable file: fake_vmm ignores it
  c.port = 8080;
  c.initial_instances = c.min_instances = c.max_instances = instances;
  c.restart.initial = std::chrono::milliseconds(5);
  // The lifecycle tests boot every instance (each with its own
  // SHOAL_INSTANCE); snapshot_test.cpp covers start = "snapshot".
  c.start = spec::StartMode::boot;
  c.warm = 0;
  return c;
}

class PoolHarness {
 public:
  explicit PoolHarness(std::vector<spec::Service> services, std::function<void(SupervisorConfig&)> tweak = {}) {
    // As shoald's main does: a write to a monitor that has just died (a warm
    // monitor's start pipe, a closed log pipe) is EPIPE, not the end of the
    // process.
    signal(SIGPIPE, SIG_IGN);
    m_loop = EventLoop::create().value();
    m_metrics = PoolMetrics::create().value();
    SupervisorConfig sc;
    sc.vmm_path = FAKE_VMM_PATH;
    // The snapshots fake_vmm makes go to a directory of this test's own.
    char dir[] = "/tmp/shoald-test-snaps-XXXXXX";
    if (mkdtemp(dir)) m_snapshot_dir = dir;
    sc.snapshot_dir = m_snapshot_dir;
    sc.tick = std::chrono::milliseconds(20);
    sc.drain_timeout = std::chrono::seconds(5);
    if (tweak) tweak(sc);
    m_spec.file = "test.toml";
    m_spec.services = std::move(services);
    m_spec.gateway.listen.port = 0;
    m_spec.gateway.hold_timeout = std::chrono::seconds(5);
    m_spec.gateway.request_timeout = std::chrono::seconds(5);
    for (const auto& s : m_spec.services) {
      spec::Route r;
      r.path = "/" + s.name;
      r.services = {s.name};
      r.strip_prefix = true;
      m_spec.routes.push_back(r);
    }
    supervisor = std::make_unique<Supervisor>(*m_loop, m_spec, std::move(sc), *m_metrics);
    gateway = std::make_unique<Gateway>(*m_loop, *supervisor, m_spec);
    supervisor->set_capacity_listener(gateway.get());
    Gateway* gw = gateway.get();
    supervisor->channels().set_guest_connect([gw](Instance& from, uint32_t slot, uint32_t service, uint32_t port) {
      gw->on_guest_connect(from, slot, service, port);
    });
    auto g = gateway->start();
    EXPECT_TRUE(g.ok()) << g.error().message;
    auto s = supervisor->start();
    EXPECT_TRUE(s.ok()) << s.error().message;
  }

  ~PoolHarness() {
    supervisor->set_capacity_listener(nullptr);
    supervisor->channels().set_guest_connect(nullptr);
    gateway.reset();
    // The gateway deletes its connections in deferred calls: let them run.
    run_until([] { return true; });
    supervisor.reset();
    if (!m_snapshot_dir.empty()) std::filesystem::remove_all(m_snapshot_dir);
  }

  const std::string& snapshot_dir() const { return m_snapshot_dir; }

  EventLoop& loop() { return *m_loop; }
  PoolMetrics& metrics() { return *m_metrics; }
  uint16_t port() const { return gateway->port(); }

  // Runs the loop until pred() holds (true) or timeout_ms passes (false).
  bool run_until(const std::function<bool()>& pred, int timeout_ms = 5000) {
    uint64_t deadline = EventLoop::now_ns() + uint64_t(timeout_ms) * 1000000;
    bool ok = false;
    std::function<void()> check = [&] {
      if (pred()) {
        ok = true;
        m_loop->stop();
      } else if (EventLoop::now_ns() >= deadline) {
        m_loop->stop();
      } else {
        m_loop->after(500'000, check);
      }
    };
    m_loop->defer(check);
    m_loop->run();
    return ok;
  }

  // Runs the loop for ms milliseconds.
  void run_for(int ms) {
    uint64_t until = EventLoop::now_ns() + uint64_t(ms) * 1000000;
    run_until([until] { return EventLoop::now_ns() >= until; }, ms + 1000);
  }

  // A request from another thread, with the loop running meanwhile.
  HttpAnswer request(const std::string& method, const std::string& path, const std::string& body = "",
                     int timeout_ms = 8000) {
    uint16_t p = port();
    auto f = std::async(std::launch::async, [=] { return http_request(p, method, path, body); });
    run_until([&] { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }, timeout_ms);
    return f.get();
  }
  HttpAnswer get(const std::string& path) { return request("GET", path); }

  Supervisor::ServiceRuntime& rt(const std::string& name) { return *supervisor->runtime(name); }
  uint32_t count(const std::string& name, InstanceState state) {
    uint32_t n = 0;
    for (const auto& i : rt(name).service.instances) n += i->state == state;
    return n;
  }
  Instance* first(const std::string& name, InstanceState state) {
    for (const auto& i : rt(name).service.instances)
      if (i->state == state) return i.get();
    return nullptr;
  }

  std::unique_ptr<Supervisor> supervisor;
  std::unique_ptr<Gateway> gateway;

 private:
  spec::Spec m_spec;  // read by the supervisor and the gateway, which ~PoolHarness destroys first
  std::unique_ptr<EventLoop> m_loop;
  std::unique_ptr<PoolMetrics> m_metrics;
  std::string m_snapshot_dir;
};

}  // namespace shoal::pool::testing
