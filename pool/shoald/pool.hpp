// Pool: what the gateway needs from the rest of shoald. The supervisor
// implements it; the gateway only calls these (and SlotHandler callbacks).
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

#include "model.hpp"

namespace shoal::pool {

struct RequestKey {
  uint32_t client_ipv4 = 0;     // network order
  std::string_view url;         // request target
  std::string_view hash_header; // value of the service's hash header, if any
};

// Outcome of asking for an instance to carry one request.
struct Pick {
  enum Kind : uint8_t {
    instance,  // use `chosen` now; call finish() when the request ends
    wait,      // none free/ready yet (scaling from zero, or all at their
               // concurrency cap): call again when notified via on_capacity
    reject,    // queue full, scaled to zero by hand, stopping: 503
  } kind;
  Instance* chosen = nullptr;
  const char* why = nullptr;  // reject: the reason, for the 503's body
};

class Pool {
 public:
  virtual ~Pool() = default;
  virtual Service* service(std::string_view name) = 0;
  // By position in the channel's services[] table (ChannelSlot::service).
  virtual Service* service_by_index(uint32_t index) = 0;
  // Picks a ready, healthy instance by the service's balancing policy and
  // admission (concurrency cap). `exclude` skips one instance (a retry).
  virtual Pick pick(Service& s, const RequestKey& key, const Instance* exclude = nullptr) = 0;
  // Every instance returned by pick() is given back exactly once.
  // ok = false feeds passive health (connection refused, reset, 5xx from a dead guest).
  virtual void finish(Service& s, Instance& i, uint64_t latency_ns, int status, bool ok) = 0;
  // Gives back an instance returned by pick() that never got the request
  // (no free channel slot on it): no request, latency or failure is counted.
  virtual void cancel(Service& s, Instance& i) = 0;
  // The gateway holds `waiting` requests for s (cold start or queue): the
  // supervisor counts them for autoscaling / activation from zero.
  virtual void set_waiting(Service& s, uint32_t waiting) = 0;
  // Per-request metrics for s (after the response was sent).
  virtual void record(Service& s, int status, uint64_t latency_ns) = 0;
  // Retry budget: may this failed request be tried once more?
  virtual bool may_retry(Service& s) = 0;
};

// The gateway side, for the supervisor: capacity appeared (an instance became
// ready, finish() or cancel() lowered an instance's load, or a channel slot
// was released) — re-run waiting requests of s.
class CapacityListener {
 public:
  virtual ~CapacityListener() = default;
  virtual void on_capacity(Service& s) = 0;
};

}  // namespace shoal::pool
