// The pool as shoald holds it: services, each a set of instances, each
// instance one shoal-vmm process with its channel. The supervisor owns the
// lifecycle of these objects; the gateway borrows instances to carry requests.
//
// Ownership and threading: everything lives on the EventLoop's one thread.
// An Instance is destroyed only by the supervisor, after its state became
// `exited` and every slot handler was detached (on_instance_gone).
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <shoal/pool/spec/spec.hpp>

#include "shoal/abi/channel.h"

namespace shoal::pool {

class Channel;  // pool/channel/channel.hpp
struct Service;
struct InstanceRuntime;  // supervisor-private state (instance_runtime.hpp)

enum class InstanceState : uint8_t {
  starting,  // shoal-vmm spawned, the guest is not listening on its port yet
  ready,     // listening: the balancer may pick it
  draining,  // scale-down or shutdown: no new requests, ends when idle
  exited,    // the process ended (status/crash report kept for `shoal logs`)
};
const char* to_string(InstanceState s);

// Whoever uses a channel slot of an instance (a gateway upstream connection,
// a guest-opened connection to another service) registers one of these; the
// instance's channel poll calls it when the slot has something new.
class SlotHandler {
 public:
  virtual ~SlotHandler() = default;
  virtual void on_slot_event() = 0;
  // The instance died or is being destroyed: stop using the slot now.
  virtual void on_instance_gone() = 0;
};

struct Instance {
  uint64_t id = 0;          // unique within this shoald's lifetime
  Service* service = nullptr;
  uint32_t index = 0;       // the N of SERVICE/N in ps and logs
  InstanceState state = InstanceState::starting;
  pid_t pid = -1;
  std::unique_ptr<Channel> channel;

  uint64_t spawned_ns = 0;
  uint64_t ready_ns = 0;
  uint32_t in_flight = 0;   // requests the gateway has outstanding on it
  bool healthy = true;      // active + passive health; false = out of the balancer

  std::array<SlotHandler*, abi::kMaxChannelSlots> slot_handlers{};

  // The supervisor's own state of this instance (process, logs, health,
  // counters); the gateway never touches it.
  std::unique_ptr<InstanceRuntime> runtime;

  Instance();
  ~Instance();  // defined where InstanceRuntime is complete
};

}  // namespace shoal::pool

namespace shoal::pool {

// A service as it runs. Its settings are the spec's (`spec`, which outlives
// the pool: name, port, queue, queue_timeout, hash_key...); this holds only
// what running it adds.
struct Service {
  const spec::Service* spec = nullptr;
  uint32_t ipv4 = 0;                 // virtual address other instances connect to (network order)
  uint32_t index = 0;                // position in the channel's services[] table
  // The cap in force per instance: spec max_concurrency, bounded by the
  // host half of channel_slots (an instance carries at most one request per
  // slot), so never 0 once the supervisor set it.
  uint32_t max_concurrency = 0;
  std::vector<std::unique_ptr<Instance>> instances;

  const std::string& name() const { return spec->name; }
  // Per-service policy objects (pool/policy) and metrics live in the
  // supervisor's ServiceRuntime; the gateway reaches them through the
  // Pool interface (pool.hpp), never directly.
};

}  // namespace shoal::pool
