// The one socket layer of the LibOS: SocketFile is what every AF_INET socket
// is to the system calls (libos/net/sys_*.cpp), whatever carries its bytes.
// Two transports implement it:
//   - ChannelSocket (net/channel/channel_socket.hpp): streams over the pool's shared-memory channel
//     (issue 3), in an instance without a network device;
//   - InetTcpSocket / InetUdpSocket (net/inet_*_socket.hpp): streams and
//     datagrams over the LibOS's own TCP/IP stack (libos/inet) on the
//     network device.
// The system calls check user memory and decode addresses; a transport gets
// checked iovecs and host-order ports and answers Linux-exact -errno.
//
// Options live here (sockopt.cpp stores them) so that every transport
// answers getsockopt alike; a transport applies those that change its
// behaviour in options_changed() and may answer from its own state in
// option_value() (SO_RCVBUF as resized, TCP_MAXSEG in use, SO_ERROR...).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vfs/file.hpp"
#include "vfs/wait_queue.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/poll.hpp"
#include "uapi/socket.hpp"
#include "uapi/stat.hpp"
#include "uapi/uio.hpp"

namespace libos::net {

// The largest socket type number socket(2) checks against (SOCK_PACKET).
inline constexpr int kSockMaxType = uapi::SOCK_PACKET;

inline uint16_t bswap16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }
inline uint32_t ipv4_of(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  // Network byte order in a little-endian word.
  return uint32_t{a} | (uint32_t{b} << 8) | (uint32_t{c} << 16) | (uint32_t{d} << 24);
}
inline bool is_loopback(uint32_t ipv4) { return (ipv4 & 0xff) == 127; }

// Every readiness bit a socket reports (a wake-up key that concerns all).
inline constexpr uint32_t kPollAllEvents =
    uapi::POLLIN | uapi::POLLRDNORM | uapi::POLLOUT | uapi::POLLWRNORM | uapi::POLLERR | uapi::POLLHUP | uapi::POLLRDHUP;

// An IPv4 endpoint: address in network order, port in host order.
struct Endpoint {
  uint32_t ip = 0;
  uint16_t port = 0;
};

// One sendmsg/recvmsg as a transport sees it: checked iovecs, and the
// address of the message (the destination of a send when has_addr, the
// source a receive fills in, setting has_addr).
struct SockMsg {
  const uapi::Iovec* iov = nullptr;
  size_t iovlen = 0;
  bool has_addr = false;
  Endpoint addr;
  int out_flags = 0;  // recvmsg's msg_flags (MSG_TRUNC)
};

class SocketFile : public fs::File {
 public:
  uint64_t m_ino = 0;
  fs::WaitQueue m_waiters;

  // Options (sockopt.cpp). Buffer sizes as Linux reports them (doubled).
  bool m_reuseaddr = false, m_reuseport = false, m_keepalive = false, m_nodelay = false;
  bool m_cork = false, m_broadcast = false;
  int m_rcvbuf = 131072, m_sndbuf = 16384;
  int m_linger_on = 0, m_linger_secs = 0;
  int m_keepidle = 7200, m_keepintvl = 75, m_keepcnt = 9;
  int m_user_mss = 0;                             // TCP_MAXSEG set by the program (0: none)
  uint64_t m_rcvtimeo_ns = 0, m_sndtimeo_ns = 0;  // 0: wait forever
  // The socket the program holds when this one is only its transport (a
  // pool instance's TCP connection to itself over 127/8 rides an AF_UNIX
  // stream pair, net/loop_channel.cpp): it must hear readiness changes too.
  SocketFile* m_owner = nullptr;
  // AF_INET6: addresses as sockaddr_in6 over the same transport (net/inet6_addr.hpp).
  bool m_inet6 = false, m_v6only = false;

  // ---- File ----
  fs::FileKind kind() const override { return fs::FileKind::socket; }
  long read(void* buf, size_t len) override;
  long write(const void* buf, size_t len) override;
  long writev(const uapi::Iovec* iov, int count) override;
  long readv(const uapi::Iovec* iov, int count) override;
  long fstat(uapi::Stat* st) override;

  // ---- the socket calls ----
  // AF_INET, or AF_UNIX (net/unix): the system calls hand AF_UNIX sockets
  // to their own address and ancillary-data code.
  virtual int family() const { return uapi::AF_INET; }
  virtual int type() const = 0;      // SOCK_STREAM, SOCK_DGRAM
  virtual int protocol() const = 0;  // IPPROTO_TCP, IPPROTO_UDP
  virtual long bind(uint32_t ip, uint16_t port) = 0;
  virtual long listen(int backlog) = 0;
  // A new connected socket (one reference) for the oldest queued connection;
  // flags: SOCK_NONBLOCK. Blocks unless the listener is non-blocking.
  virtual long accept(int flags, SocketFile** out) = 0;
  // family: AF_INET, or AF_UNSPEC (a datagram socket dissolves its peer).
  virtual long connect(int family, uint32_t ip, uint16_t port) = 0;
  virtual long shutdown(int how) = 0;
  // Bytes sent or received, or -errno; flags are MSG_*.
  virtual long sendmsg(SockMsg* msg, int flags) = 0;
  virtual long recvmsg(SockMsg* msg, int flags) = 0;
  // getsockname / getpeername: false when there is no peer (ENOTCONN).
  virtual Endpoint local_name() const = 0;
  virtual bool peer_name(Endpoint* out) const = 0;
  virtual bool listening() const = 0;
  // SO_ERROR: the pending error (positive), cleared.
  virtual int take_error() = 0;
  // sockopt.cpp stored a new value of (level, name): apply it, or refuse
  // with -errno (the stored value then does not matter).
  virtual long options_changed(int level, int name) {
    (void)level, (void)name;
    return 0;
  }
  // IPV6_JOIN_GROUP (join) / IPV6_LEAVE_GROUP of a multicast group on the
  // interface ifindex (0: the one the group routes to). Linux's errnos.
  virtual long membership6(bool join, const uint8_t group[16], int ifindex) {
    (void)join, (void)group, (void)ifindex;
    return -ENOPROTOOPT;
  }
  // The transport's own value of an option, if it has one.
  virtual bool option_value(int level, int name, int* value) const {
    (void)level, (void)name, (void)value;
    return false;
  }

  bool nonblocking() const { return (m_flags & uapi::O_NONBLOCK) != 0; }
  // Wakes blocked callers, epoll items (with the poll bits concerned) and
  // poll()/select() (which sleep on the file layer's queue).
  void changed(uint32_t events);

 protected:
  SocketFile();
  ~SocketFile();

  // A monotonic deadline for SO_RCVTIMEO/SO_SNDTIMEO (0: none).
  uint64_t deadline(uint64_t timeout_ns) const;
  // Sleeps until changed() or the deadline: 0 (woken), -EAGAIN (the
  // deadline passed: a timed-out socket call says EAGAIN), -EINTR.
  long wait(uint64_t deadline);
};

// Live sockets of any transport, for the idle path's deadlock judgement.
int socket_count();
// EPIPE, with SIGPIPE to the caller unless MSG_NOSIGNAL (Linux sk_stream_error).
long broken_pipe(int flags);
// The sum of an iovec array's lengths (already checked not to overflow).
size_t iov_total(const uapi::Iovec* iov, size_t count);

}  // namespace libos::net
