// What the scheduler asks of the I/O above it (today the network: the pool's
// channel and the network device) while it looks for work, idles and ends the
// instance. The network registers its functions at start-up (net/init.cpp), so
// the scheduler names no layer above it; each call is one indirect call through
// a table that is constant-initialized (no global constructor). Until something
// registers, the defaults say "no I/O": nothing to service, no deadline, no host
// that could wake a waiting thread.
//
// The idle protocol, in order, once no thread can run (sched/thread.cpp pick_next;
// the network's side is described in net/service.hpp):
//   1. service() ran this scheduling round (host changes woke threads);
//   2. idle_spin(deadline): a short bounded spin watching for host work; true if
//      work arrived;
//   3. sleep_prepare(): announce the sleep and re-check; false if work arrived
//      meanwhile (the announcement is withdrawn);
//   4. the `block` hypercall, which the host's kick ends early;
//   5. sleep_done(): withdraw the announcement.
#pragma once

#include <shoal/abi/boot.h>
#include <stdint.h>

namespace libos::sched {

struct IoHooks {
  // Processes the host's new work (connections, bytes, frames, due timers,
  // pending kicks) and wakes the threads it concerns. Cheap when nothing changed.
  void (*service)();
  // The earliest I/O timer (monotonic ns; ~0 for none), merged into the block's deadline.
  uint64_t (*next_deadline)();
  bool (*idle_spin)(uint64_t deadline);
  // Whether the host can still wake a thread (then a wait without deadline is no deadlock).
  bool (*host_can_wake)();
  bool (*sleep_prepare)();
  void (*sleep_done)();
  // Last chance to flush output before the instance exits.
  void (*drain_before_exit)();
  // Snapshots (sched/snapshot.hpp). ready_port(want): the port of a
  // listening socket (want 0: any, else exactly want), 0 for none.
  // rebind(boot): a resumed instance attaches to this instance's devices
  // (BootInfo's channel and net fields), keeping its listening sockets.
  uint32_t (*ready_port)(uint32_t want);
  void (*rebind)(const shoal::abi::BootInfo& boot);
};

extern IoHooks g_io_hooks;

// Called once at start-up by the I/O layer (net/init.cpp).
void set_io_hooks(const IoHooks& hooks);

// For the waits that poll host work themselves (poll, epoll_wait).
inline void service_io() { g_io_hooks.service(); }

}  // namespace libos::sched
