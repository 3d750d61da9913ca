// The guest's port numbers: sockets bound to a port, the listeners among
// them, and the ephemeral range for implicit binds (net/channel/ports.cpp).
#pragma once

#include <stdint.h>

namespace libos::net {

class ChannelSocket;

// Linux's default ip_local_port_range.
inline constexpr uint16_t kEphemeralFirst = 32768, kEphemeralLast = 60999;

// Binds s to ip:port (port 0: an ephemeral one). -EADDRINUSE, -EADDRNOTAVAIL
// (no ephemeral port left).
long port_bind(ChannelSocket* s, uint32_t ip, uint16_t port);
void port_unbind(ChannelSocket* s);
// The listener that should take a connection to port (the least loaded of
// several SO_REUSEPORT listeners), or nullptr.
ChannelSocket* port_listener(uint16_t port);
// Whether a listener other than `except` listens on port.
bool port_has_listener(uint16_t port, const ChannelSocket* except);
// Snapshots: the port of a listener (want 0: any, else want), 0 for none;
// and, on a resumed instance's new channel, every listener's port written
// into its listen table again (what tells the pool the instance is ready).
uint16_t port_listening(uint16_t want);
void ports_publish_listeners();

}  // namespace libos::net
