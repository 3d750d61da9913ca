// What the rest of the LibOS asks of the network component: process channel
// and network-device work (the scheduler, epoll, poll) and the idle protocol
// of the scheduler's `block` (libos/sched/thread.cpp pick_next). Nothing
// below calls these by name: net_init registers them as the scheduler's I/O
// hooks (sched/io_hooks.hpp). Both
// transports take part: the channel (issue 3) and the network device
// (netdev/netdev.hpp), each only when present.
//
// The idle protocol, in order, once no thread can run:
//   1. service() ran this scheduling round (host changes woke threads);
//   2. idle_spin(deadline): a short bounded spin on host_events (and the
//      device's rx ring), since on
//      these machines a sleep plus a host kick costs more than the spin
//      (PLATFORM.md); true if work arrived;
//   3. sleep_prepare(): guest_sleeping = 1 (rx.consumer_sleeping = 1), full
//      fence, re-check; false if work arrived meanwhile (the announcements
//      are withdrawn);
//   4. the `block` hypercall, which the host's kick ends early;
//   5. sleep_done(): withdraw the announcement.
#pragma once

#include <shoal/abi/boot.h>
#include <stdint.h>

namespace libos::net {

// Flushes a pending kick and, if the host changed anything, walks the slots:
// accepts or refuses new connections, wakes threads and epoll items of
// sockets whose rings or flags moved; runs the network device (received
// frames, due stack timers, transmit kick). Cheap when nothing changed.
void service();
// The network stack's next timer (monotonic ns; ~0 for none), which the
// scheduler merges into the block hypercall's deadline.
uint64_t next_deadline();

// Spins up to the spin budget (or the deadline, monotonic ns) watching
// host_events. True if the host changed something (call service()).
bool idle_spin(uint64_t deadline);
bool sleep_prepare();
void sleep_done();
// Whether the host can still wake a thread (a channel and a socket exist, or
// a network device: a frame may arrive any time): then a wait without
// deadline is no deadlock, the host may end it.
bool host_can_wake();

// Snapshots (sched/snapshot.hpp, net/snapshot.cpp): the port of a listening
// socket, TCP over the device or the loopback, the channel's, or (want 0
// only, as it has no port) AF_UNIX; want 0: any, else that port; 0: none.
uint32_t ready_port(uint32_t want);
// After a resume: attaches to this instance's channel and network device.
void rebind(const shoal::abi::BootInfo& boot);

}  // namespace libos::net
