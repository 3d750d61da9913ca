// Channel work from the scheduler and the waits: service() and the idle
// protocol (net/service.hpp).
#include "net/channel/channel.hpp"
#include "net/service.hpp"
#include "net/channel/slots.hpp"
#include "net/channel/channel_socket.hpp"
#include "netdev/netdev.hpp"
#include "time/clock.hpp"

namespace libos::net {
namespace {

using namespace shoal::abi;

// How long an idle guest watches host_events before it sleeps. A sleep costs
// the guest a `block` exit and the host a kick (~22 us of ioeventfd plus the
// monitor's return to the guest here, PLATFORM.md); a request answered within
// the spin costs neither. But a spin only pays when the host runs on another
// core meanwhile: when both share a core, the host cannot produce while the
// guest spins, so the spin only adds to the latency (and burns CPU that other
// instances could use). So the budget adapts, in the spirit of KVM's
// halt-polling:
//   - a spin that sees the host's event keeps the budget (and regains a step);
//   - a spin that sees nothing halves it (down to nothing);
//   - one idle round in kProbeEvery spins the full budget anyway, and a hit
//     restores it: traffic whose gaps fit the spin again is found again.
// Measured with tests/net-guest (net.latency, README there): a 100-byte round
// trip is ~1 us when the spin catches the request (host poller on another
// core) and ~35-80 us when the guest must sleep and be kicked; with both on
// one core a fixed 30 us spin made it ~70 us against ~37 us adaptive.
constexpr uint64_t kSpinMaxNs = 30000;
constexpr uint64_t kSpinStepNs = 2000;
constexpr uint32_t kProbeEvery = 16;

uint64_t g_spin_budget = kSpinMaxNs;
uint32_t g_idle_rounds = 0;

}  // namespace

void service() {
  netdev::service();
  netdev::loopback_service();
  if (!channel_present()) return;
  if (host_events_changed() || take_rescan()) socket_scan();
  kick_flush();
}

uint64_t next_deadline() {
  uint64_t device = netdev::next_deadline();
  uint64_t loop = netdev::loopback_next_deadline();
  return loop < device ? loop : device;
}

bool idle_spin(uint64_t deadline) {
  // The device's rx ring is watched like the channel's events: the monitor's
  // I/O thread usually runs on the other core and answers within the spin.
  bool channel = channel_present() && socket_count() > 0;
  bool device = netdev::present();
  if (!channel && !device) return false;
  if (channel) kick_flush();
  bool probe = ++g_idle_rounds % kProbeEvery == 0;
  uint64_t budget = probe ? kSpinMaxNs : g_spin_budget;
  uint64_t start = monotonic_ns();
  uint64_t stop = start + budget;
  if (deadline < stop) stop = deadline;
  ChannelHeader* h = channel ? channel_header() : nullptr;
  uint32_t seen = channel ? channel_events(h, kSideHost) : 0;
  for (;;) {
    if ((channel && channel_events(h, kSideHost) != seen) || (device && netdev::rx_pending())) {
      uint64_t grown = g_spin_budget + kSpinStepNs;
      g_spin_budget = probe || grown > kSpinMaxNs ? kSpinMaxNs : grown;
      return true;
    }
    uint64_t now = monotonic_ns();
    if (now >= stop) {
      if (now >= deadline) return true;  // a timer is due: not a miss
      if (!probe) g_spin_budget /= 2;
      return false;
    }
    // pause: eases the core for a sibling hyperthread and keeps the loop
    // from flooding the memory bus with loads of a line the host will write.
    for (int i = 0; i < 16; ++i) __builtin_ia32_pause();
  }
}

bool sleep_prepare() {
  // The device first: if the channel then finds work, withdraw its announcement.
  if (!netdev::sleep_prepare()) return false;
  if (!channel_present()) return true;
  kick_flush();
  ChannelHeader* h = channel_header();
  channel_announce_sleep(h, kSideGuest);
  // The re-check after the fence: a host that published before it could see
  // our announcement would not kick, so look once more.
  if (host_events_changed()) {
    channel_clear_sleep(h, kSideGuest);
    netdev::sleep_done();
    socket_scan();
    kick_flush();
    return false;
  }
  return true;
}

void sleep_done() {
  netdev::sleep_done();
  if (!channel_present()) return;
  channel_clear_sleep(channel_header(), kSideGuest);
}

bool host_can_wake() { return (channel_present() && socket_count() > 0) || netdev::present(); }

}  // namespace libos::net
