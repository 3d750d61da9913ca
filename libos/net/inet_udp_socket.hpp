// An AF_INET datagram socket over the LibOS's UDP (libos/inet/udp.hpp), for
// an instance with a network device. Each sendmsg is one datagram gathered
// from all its buffers; each recvmsg takes one datagram, scattered across
// the buffers, with its source address and MSG_TRUNC when it did not fit.
// Blocking as the stream glue: wait for socket_changed, honour O_NONBLOCK,
// MSG_DONTWAIT, SO_RCVTIMEO/SO_SNDTIMEO and signals.
#pragma once

#include "inet/udp.hpp"
#include "net/socket/socket_base.hpp"
#include "uapi/in.hpp"
#include "uapi/socket.hpp"

namespace libos::net {

class InetUdpSocket final : public SocketFile, public inet::SocketEvents {
 public:
  inet::UdpSocket* m_udp = nullptr;

  void socket_changed(uint32_t poll_bits) override { changed(poll_bits); }

  // ---- File ----
  int16_t poll(int16_t events) override;
  long ioctl(unsigned long request, unsigned long arg) override;
  void release() override;

  // ---- SocketFile ----
  int type() const override { return uapi::SOCK_DGRAM; }
  int protocol() const override { return uapi::IPPROTO_UDP; }
  long bind(uint32_t ip, uint16_t port) override { return m_udp->bind(ip, port); }
  long listen(int backlog) override {
    (void)backlog;
    return -EOPNOTSUPP;
  }
  long accept(int flags, SocketFile** out) override {
    (void)flags, (void)out;
    return -EOPNOTSUPP;
  }
  long connect(int family, uint32_t ip, uint16_t port) override;
  long shutdown(int how) override;
  long sendmsg(SockMsg* msg, int flags) override;
  long recvmsg(SockMsg* msg, int flags) override;
  Endpoint local_name() const override { return Endpoint{m_udp->local_ip(), m_udp->local_port()}; }
  bool peer_name(Endpoint* out) const override;
  bool listening() const override { return false; }
  int take_error() override { return m_udp->take_error(); }
  long options_changed(int level, int name) override;
  bool option_value(int level, int name, int* value) const override;
  long membership6(bool join, const uint8_t group[16], int ifindex) override;

 private:
  bool broadcast_refused(uint32_t ip) const;
  // The IPv6 groups this socket joined (allocated at the first join), left
  // when it closes; at most kMaxGroups (Linux bounds them by option memory).
  static constexpr uint8_t kMaxGroups = 20;
  uint8_t (*m_groups)[16] = nullptr;
  uint8_t m_ngroups = 0;
};

// A new socket on stack (one reference); flags: SOCK_NONBLOCK. -ENOMEM.
long inet_udp_create(inet::Stack& stack, int flags, SocketFile** out);

}  // namespace libos::net
