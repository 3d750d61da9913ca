// The network device of an image that declares one (`shoal build --net`,
// `shoal-vmm --net tap:NAME`): the guest side of the rings of abi/netdev.h and
// the one inet::Stack running over them.
//
// The scheduler's service round (net::service) calls service(): received
// frames go through the stack, due timers run, transmitted frames are
// published and at most one kick goes out. The idle protocol (net/idle.cpp)
// watches the rx ring like the channel and merges next_deadline() into the
// block hypercall's deadline.
#pragma once

#include <shoal/abi/boot.h>

#include "inet/stack.hpp"

namespace libos::netdev {

// Maps the region BootInfo describes and builds the stack (no-op without one).
void init(const shoal::abi::BootInfo& boot);
// A resumed snapshot: the region, MAC and addresses are this instance's
// (BootInfo's net fields); the rings start over and the stack re-binds
// (inet::Stack::rebind: caches flushed, a gratuitous ARP).
void rebind(const shoal::abi::BootInfo& boot);
// The port of a TCP listener on the device's or the loopback-only stack
// (want 0: any, else want), 0 for none (never builds the loopback stack).
uint16_t tcp_listening_port(uint16_t want);
// The stack, or nullptr when the instance has no network device.
inet::Stack* stack();
bool present();

// Processes received frames and due timers; publishes transmitted frames and
// kicks the monitor if it sleeps. Cheap when nothing happened.
void service();
// The stack's next timer (monotonic ns), inet::kNever if none.
uint64_t next_deadline();
// Idle protocol pieces (see net/service.hpp): whether frames wait in the rx
// ring; announce sleep (false if frames arrived meanwhile); withdraw it.
bool rx_pending();
bool sleep_prepare();
void sleep_done();

// Before the instance exits: keeps the stack running until TCP has sent and
// had acknowledged every byte and FIN the program queued (a program that
// writes and exits, like `nc`, expects the kernel to deliver its data after
// it is gone), at most kExitDrainNs. No-op without a device.
inline constexpr uint64_t kExitDrainNs = 10'000'000'000ull;
void drain_before_exit();

// The stack 127.0.0.0/8 goes through: the device's, or, in an instance
// without a device, a loopback-only stack built at the first call
// (loopback.cpp); nullptr when out of memory. Linux always has `lo`.
inet::Stack* loopback_stack();
// The loopback-only stack's service round and next timer (no-ops until it
// exists, and with a device, whose stack service() runs).
void loopback_service();
uint64_t loopback_next_deadline();

}  // namespace libos::netdev
