// Gateway: shoald's HTTP/1.1 entry. Accepts clients, routes each request by
// host and path to a service or a composition (pipeline, fanout, scatter),
// carries it to an instance over that instance's channel, and answers.
// Also splices guest-opened connections (an instance calling SERVICE:PORT) to
// an instance of the target service.
//
// Everything runs on the EventLoop's thread. The gateway holds requests that
// cannot be placed yet (cold start from zero, every instance at its
// concurrency cap) in a per-service queue, bounded by max_held and
// hold_timeout, and re-tries them on Pool's capacity notifications.
#pragma once

#include <stdint.h>

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../event_loop.hpp"
#include "../model.hpp"
#include "../pool.hpp"
#include "config.hpp"

namespace shoal::pool {

class ClientConn;
class UpstreamConn;

// Something waiting for capacity in one service (a call or a splice).
class Waiter {
 public:
  virtual ~Waiter() = default;
  // Capacity may be there: try again. Returns false if it must keep waiting
  // (the gateway then keeps it at the head of the queue).
  virtual bool retry_pick() = 0;
  bool m_queued = false;
};

struct GatewayStats {
  uint64_t accepted = 0;
  uint64_t requests = 0;
  uint64_t client_errors = 0;  // 4xx the gateway answered itself
  uint64_t upstream_errors = 0;  // 502/503/504
  uint64_t retries = 0;
  uint64_t splices = 0;
};

class Gateway final : public CapacityListener {
 public:
  Gateway(EventLoop& loop, Pool& pool, GatewayConfig config);
  ~Gateway() override;

  Result<void> start();          // bind + listen (port 0: any free port)
  void stop_accepting();
  uint16_t port() const { return m_port; }
  size_t open_clients() const { return m_clients.size(); }
  const GatewayStats& stats() const { return m_stats; }

  // CapacityListener: an instance of s became ready or a concurrency slot freed.
  void on_capacity(Service& s) override;
  // The supervisor found a guest-opened slot (kSlotConnecting) on `from`:
  // connect it to an instance of the service at service_index, or refuse.
  void on_guest_connect(Instance& from, uint32_t slot, uint32_t service_index, uint32_t port);

  // For the parts of the gateway.
  EventLoop& loop() { return m_loop; }
  Pool& pool() { return m_pool; }
  const GatewayConfig& config() const { return m_config; }
  GatewayStats& mutable_stats() { return m_stats; }
  std::string next_request_id();
  // Keep-alive upstream connections, per instance.
  UpstreamConn* take_idle(Instance& i);
  void put_idle(UpstreamConn* c);
  void forget_idle(UpstreamConn* c);
  // Hold w until s has capacity. False: the queue is full (answer 503).
  bool hold(Service& s, Waiter* w);
  void unhold(Service& s, Waiter* w);
  void client_closed(ClientConn* c);

 private:
  void on_accept();

  EventLoop& m_loop;
  Pool& m_pool;
  GatewayConfig m_config;
  int m_listen_fd = -1;
  uint16_t m_port = 0;
  uint64_t m_request_seq = 0;
  uint64_t m_id_salt = 0;
  GatewayStats m_stats;
  std::unordered_map<ClientConn*, std::shared_ptr<ClientConn>> m_clients;
  std::unordered_map<Instance*, std::vector<UpstreamConn*>> m_idle;
  std::unordered_map<Service*, std::deque<Waiter*>> m_waiting;
};

}  // namespace shoal::pool
