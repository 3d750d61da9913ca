// An AF_INET stream socket over the LibOS's TCP (libos/inet/tcp.hpp), for an
// instance with a network device. The stack's calls never block; this glue
// makes them Linux's system calls: it waits on the socket's queue until the
// stack reports a change (SocketEvents::socket_changed, from the service
// round that runs the stack), honours O_NONBLOCK, MSG_DONTWAIT, SO_RCVTIMEO
// and SO_SNDTIMEO, EINTR, and raises SIGPIPE.
//
// m_conn follows Linux's sock->state (not the TCP state): a connect() issued
// stays "connecting" until a later connect() reports its outcome once, which
// is how a second connect() after a non-blocking one returns 0 or the error.
#pragma once

#include "inet/tcp.hpp"
#include "net/socket/socket_base.hpp"
#include "uapi/in.hpp"
#include "uapi/socket.hpp"

namespace libos::net {

class InetTcpSocket final : public SocketFile, public inet::SocketEvents {
 public:
  enum class Conn : uint8_t { unconnected, connecting, connected };

  inet::TcpSocket* m_tcp = nullptr;
  Conn m_conn = Conn::unconnected;

  // ---- SocketEvents: the stack changed what poll() answers ----
  void socket_changed(uint32_t poll_bits) override { changed(poll_bits); }

  // ---- File ----
  int16_t poll(int16_t events) override;
  long ioctl(unsigned long request, unsigned long arg) override;
  long write_from(fs::File* in, uint64_t off, size_t count) override;
  void release() override;

  // ---- SocketFile ----
  int type() const override { return uapi::SOCK_STREAM; }
  int protocol() const override { return uapi::IPPROTO_TCP; }
  long bind(uint32_t ip, uint16_t port) override;
  long listen(int backlog) override;
  long accept(int flags, SocketFile** out) override;
  long connect(int family, uint32_t ip, uint16_t port) override;
  long shutdown(int how) override;
  long sendmsg(SockMsg* msg, int flags) override;
  long recvmsg(SockMsg* msg, int flags) override;
  Endpoint local_name() const override;
  bool peer_name(Endpoint* out) const override;
  bool listening() const override { return m_tcp->listening(); }
  int take_error() override { return m_tcp->take_error(); }
  long options_changed(int level, int name) override;
  bool option_value(int level, int name, int* value) const override;

 private:
  bool handshaking() const;
  long wait_connected();
  long recv_peek_scattered(SockMsg* msg, int flags);
};

// A new socket on stack (one reference); flags: SOCK_NONBLOCK. -ENOMEM.
long inet_tcp_create(inet::Stack& stack, int flags, SocketFile** out);

}  // namespace libos::net
