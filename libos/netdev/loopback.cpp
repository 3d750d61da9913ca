// The loopback-only stack of an instance without a network device: Linux
// always has `lo`, so a program may talk to itself over 127.0.0.0/8 (UDP to
// its own port, TCP to its own listener) whatever devices the instance has.
// The TCP/IP stack already loops local destinations back inside itself
// (Stack::deliver_loopback); here it runs over a device that sends nothing,
// with no address but 127/8, so every other destination is unreachable
// (ENETUNREACH) as on a Linux host whose only interface is `lo`.
//
// Built at the first socket that needs it, never at boot: an instance that
// does not use the loopback pays nothing for it.
#include "core/random.hpp"
#include "netdev/netdev.hpp"
#include "time/clock.hpp"

namespace libos::netdev {
namespace {

// A link with nothing on the other end. Only loopback traffic is ever
// routed (no address, no gateway), and it never reaches the device; a frame
// that would (the start-up gratuitous ARP) is dropped for want of a buffer.
class NoDevice final : public inet::Device {
 public:
  uint8_t* tx_buffer() override { return nullptr; }
  void tx_commit(size_t) override {}
};

NoDevice g_no_device;
inet::Stack* g_loop = nullptr;

uint32_t loop_random32() {
  uint32_t v;
  random_bytes(&v, sizeof v);
  return v;
}

}  // namespace

inet::Stack* loopback_stack() {
  if (inet::Stack* s = stack()) return s;
  if (g_loop == nullptr) {
    inet::StackConfig config;
    config.ip = 0;       // no address of its own: 127/8 only
    config.prefix = 32;  // no subnet
    config.gateway = 0;  // no route out
    g_loop = inet::create<inet::Stack>(config, g_no_device, &loop_random32);
    if (g_loop == nullptr) return nullptr;
    g_loop->set_now(monotonic_ns());
  }
  return g_loop;
}

uint16_t tcp_listening_port(uint16_t want) {
  inet::Stack* s = stack() != nullptr ? stack() : g_loop;
  return s == nullptr ? 0 : s->tcp_listening_port(want);
}

void loopback_service() {
  if (g_loop == nullptr) return;
  uint64_t now = monotonic_ns();
  g_loop->set_now(now);
  if (g_loop->next_deadline() <= now) g_loop->run_timers();
}

uint64_t loopback_next_deadline() { return g_loop == nullptr ? inet::kNever : g_loop->next_deadline(); }

}  // namespace libos::netdev
