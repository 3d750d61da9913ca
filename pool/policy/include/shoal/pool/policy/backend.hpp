// A backend as a balancer sees it: one instance of a service.
#pragma once

#include <stdint.h>

#include <string_view>

#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::policy {

// The supervisor's instance id; unique within a service for the pool's lifetime.
using BackendId = uint64_t;

enum class BackendState : uint8_t {
  available,    // may be picked
  unavailable,  // unhealthy, crashed or still starting: never picked, requests in flight may finish
  draining,     // leaving (scale-down): never picked, requests in flight finish
};

struct Backend {
  BackendId id = 0;
  uint32_t weight = 1;  // >= 1
  BackendState state = BackendState::available;
  uint32_t in_flight = 0;    // on_start() minus on_finish()
  Duration ewma_latency{0};  // exponentially weighted response time; 0 until the first response
  uint64_t responses = 0;    // responses observed (0 = never tried)
};

// What a request offers to key-based policies. The views must stay valid for
// the duration of pick(); the balancer keeps none of them.
struct RequestKey {
  std::string_view client_ip;  // textual address of the client ("192.0.2.7", "2001:db8::1")
  std::string_view url;        // request target ("/cart/42?x=1")
  std::string_view header;     // value of the header named by HashKey (empty if absent)
};

}  // namespace shoal::pool::policy
