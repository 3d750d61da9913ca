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
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../event_loop.hpp"
#include "../model.hpp"
#include "../pool.hpp"
#include <shoal/pool/spec/spec.hpp>

namespace shoal::pool {

// Descriptors kept for everything but client connections when
// gateway.max_connections is derived (0): instances (one eventfd each,
// host_limits.hpp), upstream helpers, the control and admin sockets.
inline constexpr uint32_t kFdReserve = 1024;
// How long a new connection that has sent nothing is spared when the gateway
// makes room at its connection limit (keep-alive connections between
// requests are not spared).
inline constexpr uint64_t kFreshConnectionGraceNs = 500'000'000;
inline constexpr uint32_t kMinConnections = 64;

class ClientConn;
class UpstreamConn;

// The gateway's objects that live as long as a connection or a request
// (ClientConn, Call, UpstreamConn, Splice, and the compositions of
// compose.cpp: Pipeline, Fanout, Scatter) share one ownership idiom: the
// gateway owns each by a std::unique_ptr (Gateway::adopt). One that is done
// calls Gateway::retire(this): it leaves the live set at once and is
// destroyed at the end of the loop iteration, once the callbacks that may
// still be inside its member functions have returned. Nothing deletes
// itself. ~Gateway destroys every object still owned, retired or not, so
// none outlives the gateway or waits on a deferred call after the loop
// stopped. Slot handlers, queues and idle lists hold plain pointers, which
// the objects clear when they retire.
class InFlight {
 public:
  virtual ~InFlight() = default;
};

// Something waiting for capacity in one service (a call or a splice).
class Waiter : public InFlight {
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
  uint64_t idle_closed = 0;    // idle keep-alive connections closed to admit new ones
  uint64_t accept_paused = 0;  // times accepting stopped (at max_connections, out of fds)
};

class Gateway final : public CapacityListener {
 public:
  // Reads spec.gateway and spec.routes for its whole life: the spec outlives it.
  Gateway(EventLoop& loop, Pool& pool, const spec::Spec& spec);
  ~Gateway() override;

  Result<void> start();          // bind + listen (port 0: any free port)
  void stop_accepting();
  uint16_t port() const { return m_port; }
  size_t open_clients() const { return m_clients.size(); }
  // The limit in force (max_connections, or the one derived at start()).
  uint32_t max_connections() const { return m_max_connections; }
  bool accepting() const { return m_accept_armed; }
  const GatewayStats& stats() const { return m_stats; }

  // CapacityListener: an instance of s became ready or a concurrency slot freed.
  void on_capacity(Service& s) override;
  // The supervisor found a guest-opened slot (kSlotConnecting) on `from`:
  // connect it to an instance of the service at service_index, or refuse.
  void on_guest_connect(Instance& from, uint32_t slot, uint32_t service_index, uint32_t port);

  // For the parts of the gateway.
  EventLoop& loop() { return m_loop; }
  Pool& pool() { return m_pool; }
  const spec::Gateway& config() const { return m_spec.gateway; }
  const std::vector<spec::Route>& routes() const { return m_spec.routes; }
  GatewayStats& mutable_stats() { return m_stats; }
  std::string next_request_id();
  // Keep-alive upstream connections, per instance.
  UpstreamConn* take_idle(Instance& i);
  void put_idle(UpstreamConn* c);
  void forget_idle(UpstreamConn* c);
  // Hold w until s has capacity. False: the queue is full (answer 503).
  // admitted: the pool gave w an instance but it found no free channel slot
  // there; it waits all the same (FIFO), not bounded by max_held.
  bool hold(Service& s, Waiter* w, bool admitted = false);
  void unhold(Service& s, Waiter* w);
  // Ownership of in-flight objects (see InFlight).
  template <typename T>
  T* adopt(std::unique_ptr<T> object) {
    T* raw = object.get();
    m_in_flight.emplace(raw, std::move(object));
    return raw;
  }
  void retire(InFlight* object);
  void client_closed(ClientConn* c);
  // A client connection waits for its next request (idle: it may be closed
  // to admit a new connection at the limit) or is busy again.
  void client_idle(ClientConn* c);
  void client_busy(ClientConn* c);

 private:
  void on_accept();
  // Closes the longest-idle client connection that may go (see
  // kFreshConnectionGraceNs); false if none may. Then *retry_ns says when a
  // spared new connection may go (0: none is waiting for that).
  bool close_idle_client(uint64_t* retry_ns = nullptr);
  bool connection_waiting() const;
  void arm_accept();
  void disarm_accept(uint64_t retry_ns);

  EventLoop& m_loop;
  Pool& m_pool;
  const spec::Spec& m_spec;
  int m_listen_fd = -1;
  uint16_t m_port = 0;
  uint64_t m_request_seq = 0;
  uint64_t m_id_salt = 0;
  GatewayStats m_stats;
  void sweep_retired();

  std::unordered_map<InFlight*, std::unique_ptr<InFlight>> m_in_flight;
  std::vector<std::unique_ptr<InFlight>> m_retired;  // destroyed by the next sweep
  bool m_sweep_queued = false;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);  // for the deferred sweep
  std::unordered_set<ClientConn*> m_clients;  // open client connections (owned in m_in_flight)
  // Idle client connections, longest idle first.
  std::list<ClientConn*> m_idle_clients;
  uint32_t m_max_connections = 0;
  bool m_accept_armed = false;
  EventLoop::TimerId m_accept_timer = 0;
  std::unordered_map<Instance*, std::vector<UpstreamConn*>> m_idle;
  std::unordered_map<Service*, std::deque<Waiter*>> m_waiting;
};

}  // namespace shoal::pool
