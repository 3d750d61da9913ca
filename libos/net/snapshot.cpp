// The network's part of a snapshot (net/service.hpp): which listening socket
// makes the ready point, and the re-attachment of a resumed instance to the
// channel and the network device of the instance it now is.
#include "net/channel/channel.hpp"
#include "net/channel/channel_socket.hpp"
#include "net/channel/ports.hpp"
#include "net/service.hpp"
#include "net/unix/unix_socket.hpp"
#include "netdev/netdev.hpp"

namespace libos::net {

uint32_t ready_port(uint32_t want) {
  if (want > 0xffff) return 0;  // no socket has such a port: never ready
  auto port = static_cast<uint16_t>(want);
  if (uint16_t p = port_listening(port); p != 0) return p;
  if (uint16_t p = netdev::tcp_listening_port(port); p != 0) return p;
  // An AF_UNIX listener has a name, not a port: it counts for "any" only.
  // HcReady::port then says 0.
  if (want == 0 && unix_listening()) return ~uint32_t{0};
  return 0;
}

void rebind(const shoal::abi::BootInfo& boot) {
  if (channel_present()) {
    channel_rebind(boot);
    sockets_rebind();
  }
  netdev::rebind(boot);
}

}  // namespace libos::net
