// A pool instance's TCP connection to its own listener over 127.0.0.0/8.
//
// In a pool without a network device, AF_INET streams are channel sockets:
// the gateway reaches the instance's listeners through the channel, so a
// listener must stay a channel socket. A connection the instance makes to
// itself never needs the host, though: it becomes a pair of in-guest
// AF_UNIX streams (libos/net/unix), one end carried by the connecting
// ChannelSocket, the other queued on the listener for accept. Both
// ChannelSockets forward their data calls to their end (channel_socket.cpp).
// Stream semantics carry over as a program sees them: bytes in order, end of
// file after shutdown(SHUT_WR) or close, EPIPE/SIGPIPE, a reset when closed
// with unread bytes.
#include "net/loop_channel.hpp"

#include "net/channel/ports.hpp"
#include "net/unix/unix_socket.hpp"
#include "uapi/socket.hpp"

namespace libos::net {

long channel_loopback_connect(ChannelSocket* s, uint32_t ip, uint16_t port) {
  ChannelSocket* l = port_listener(port);
  // A listener bound to another address than the one connected to (or to
  // none: INADDR_ANY) does not take it; nobody listening is a refusal, as
  // the reset Linux's loopback answers with.
  if (l == nullptr || l->m_state != SockState::listening || (l->m_local_ip != 0 && l->m_local_ip != ip)) {
    return -ECONNREFUSED;
  }
  if (!s->m_bound) {
    if (long err = port_bind(s, 0, 0); err < 0) return err;
  }
  UnixSocket* mine = nullptr;
  UnixSocket* theirs = nullptr;
  if (long err = unix_pair(uapi::SOCK_STREAM, 0, &mine, &theirs); err < 0) return err;
  ChannelSocket::LocalConn conn{theirs, ip, s->m_local_port};
  if (!l->offer_local(conn)) {
    // A full backlog: Linux drops the SYN and retries; here the connect is
    // refused at once (documented in docs/compatibility.md).
    mine->put();
    theirs->put();
    return -ECONNREFUSED;
  }
  mine->m_owner = s;
  s->m_local = mine;
  s->m_state = SockState::connected;
  if (s->m_local_ip == 0) s->m_local_ip = ip;
  s->m_peer_ip = ip;
  s->m_peer_port = port;
  s->changed(uapi::POLLOUT | uapi::POLLWRNORM);
  // Connected at once; a non-blocking connect still says EINPROGRESS, as on
  // Linux's loopback (the next connect says EISCONN, SO_ERROR is 0).
  return s->nonblocking() ? -EINPROGRESS : 0;
}

}  // namespace libos::net
