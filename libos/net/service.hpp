// What the rest of the LibOS asks of the network component: process channel
// work (the scheduler, epoll, poll) and the idle protocol of the scheduler's
// `block` (libos/sched/thread.cpp pick_next).
//
// The idle protocol, in order, once no thread can run:
//   1. service() ran this scheduling round (host changes woke threads);
//   2. idle_spin(deadline): a short bounded spin on host_events, since on
//      these machines a sleep plus a host kick costs more than the spin
//      (PLATFORM.md); true if work arrived;
//   3. sleep_prepare(): guest_sleeping = 1, full fence, re-check; false if
//      work arrived meanwhile (the announcement is withdrawn);
//   4. the `block` hypercall, which the host's kick ends early;
//   5. sleep_done(): withdraw the announcement.
#pragma once

#include <stdint.h>

namespace libos::net {

// Flushes a pending kick and, if the host changed anything, walks the slots:
// accepts or refuses new connections, wakes threads and epoll items of
// sockets whose rings or flags moved. Cheap (one load) when nothing changed.
void service();

// Spins up to the spin budget (or the deadline, monotonic ns) watching
// host_events. True if the host changed something (call service()).
bool idle_spin(uint64_t deadline);
bool sleep_prepare();
void sleep_done();
// Whether the host can still wake a thread (a channel and a socket exist):
// then a wait without deadline is no deadlock, the host may end it.
bool host_can_wake();

}  // namespace libos::net
