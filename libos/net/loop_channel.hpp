// A pool instance's TCP connection to itself over 127/8 (loop_channel.cpp).
#pragma once

#include <stdint.h>

#include "net/channel/channel_socket.hpp"

namespace libos::net {

// Connects s (a ChannelSocket that is not connected) to this instance's own
// listener on port (host order) at ip (127/8, network order): 0, or
// -ECONNREFUSED when nothing listens there or its backlog is full.
long channel_loopback_connect(ChannelSocket* s, uint32_t ip, uint16_t port);

}  // namespace libos::net
