// The guest's end of the shared-memory channel (abi/channel.h): the region
// the monitor mapped, validated once at boot into a ChannelView; the services
// table copied out of it; events, kicks and the sleep handshake with the host.
//
// Every ring and slot operation goes through abi/channel_ops.h, shared with
// the host library, so both sides agree on orders and transitions. The guest
// trusts the host less strictly than the host trusts the guest, but a bad
// index or state from the host only ever resets one connection.
#pragma once

#include <shoal/abi/boot.h>
#include <shoal/abi/channel_ops.h>
#include <stdint.h>

namespace libos::net {

using shoal::abi::ChannelHeader;
using shoal::abi::ChannelSlot;
using shoal::abi::ChannelView;

// A service another instance can reach by name: a copy of a validated entry
// of the header's services[] (the host may not change it under us).
struct Service {
  char name[shoal::abi::kServiceNameMax];
  uint32_t ipv4;  // network byte order
};

// Maps and validates the channel BootInfo describes. Without one (channel_addr
// 0) the LibOS runs without: sockets work locally, connect says ENETUNREACH.
// A region that fails validation stops the instance with a clear message.
void channel_init(const shoal::abi::BootInfo& boot);
bool channel_present();
// A resumed snapshot: the region at kChannelAddr is this instance's new one
// (shoald's, fresh): validated and read again (services, host events), the
// pending kick dropped. The sockets' side is sockets_rebind().
void channel_rebind(const shoal::abi::BootInfo& boot);
const ChannelView* channel_view();
ChannelHeader* channel_header();

int service_count();
const Service& service_at(int index);
// The index of the service at ipv4 (network order), or -1.
int service_by_ipv4(uint32_t ipv4);

// The guest changed something the host should see (a slot's state or flags,
// bytes produced or consumed, the listen table): bumps guest_events now and
// marks a kick as due; the kick itself waits for kick_flush(), so a burst of
// writes costs at most one exit.
void channel_changed();
// The guest consumed bytes of a to_guest ring (its tail was tail_before):
// bumps guest_events; a kick is due only if the host may wait for room
// (ring_producer_may_wait: it found the ring full). A kick for every read
// would cost the host a wake-up per request.
void channel_consumed(const shoal::abi::ChannelRing* rx, uint32_t tail_before, uint32_t ring_size);
// Kicks the host if a change is pending and the host announced it sleeps.
void kick_flush();

// Whether the host bumped host_events since the last call that returned true
// (consumes the change).
bool host_events_changed();
// The same without consuming it.
bool host_events_pending();

}  // namespace libos::net
