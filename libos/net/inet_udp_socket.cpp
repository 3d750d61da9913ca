// The system-call face of a UDP socket (net/inet_udp_socket.hpp).
#include "net/inet_udp_socket.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "core/uaccess.hpp"
#include "vfs/alloc.hpp"
#include "inet/ipv6_peers.hpp"
#include "net/inet6_addr.hpp"
#include "net/inet_msg.hpp"
#include "netdev/netdev.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/ioctl.hpp"
#include "uapi/poll.hpp"
#include "uapi/socket.hpp"

namespace libos::net {
namespace {

// Linux udp_sendmsg: a datagram longer than this is EMSGSIZE before
// anything else (IP then refuses more than 65507 bytes of payload).
constexpr size_t kMaxDatagram = 0xffff;

}  // namespace

long inet_udp_create(inet::Stack& stack, int flags, SocketFile** out) {
  inet::UdpSocket* udp = inet::UdpSocket::create(stack);
  if (udp == nullptr) return -ENOMEM;
  InetUdpSocket* s = fs::make<InetUdpSocket>();
  if (s == nullptr) {
    udp->close();
    return -ENOMEM;
  }
  s->m_flags = uapi::O_RDWR | (flags & uapi::SOCK_NONBLOCK ? uapi::O_NONBLOCK : 0);
  s->m_udp = udp;
  s->m_rcvbuf = udp->rcvbuf();
  s->m_sndbuf = udp->sndbuf();
  udp->set_events(s);
  *out = s;
  return 0;
}

void InetUdpSocket::release() {
  if (m_groups != nullptr) {
    inet::Stack* stack = netdev::stack();
    for (uint8_t i = 0; i < m_ngroups; ++i)
      if (stack != nullptr && stack->ip6_peers() != nullptr) stack->ip6_peers()->leave(m_groups[i]);
    kfree(m_groups);
    m_groups = nullptr;
  }
  m_udp->set_events(nullptr);
  m_udp->close();
  m_udp = nullptr;
  fs::destroy(this);
}

int16_t InetUdpSocket::poll(int16_t events) {
  uint32_t bits = m_udp->poll();
  return static_cast<int16_t>(bits & (static_cast<uint16_t>(events) | uapi::POLLHUP | uapi::POLLERR));
}

long InetUdpSocket::ioctl(unsigned long request, unsigned long arg) {
  if (request != uapi::FIONREAD && request != uapi::TIOCOUTQ) return -ENOTTY;
  auto* out = reinterpret_cast<int*>(arg);
  if (!user_writable(out, sizeof(int))) return -EFAULT;
  // SIOCOUTQ: datagrams leave at once (nothing stays queued here).
  *out = request == uapi::FIONREAD ? static_cast<int>(m_udp->next_size()) : 0;
  return 0;
}

long InetUdpSocket::connect(int family, uint32_t ip, uint16_t port) {
  long r = family == uapi::AF_UNSPEC ? m_udp->connect(0, 0) : m_udp->connect(ip, port);
  if (r == 0) changed(kPollAllEvents);
  return r;
}

long InetUdpSocket::shutdown(int how) {
  if (how < uapi::SHUT_RD || how > uapi::SHUT_RDWR) return -EINVAL;
  long r = m_udp->shutdown(how);
  if (r == 0) changed(kPollAllEvents);
  return r;
}

bool InetUdpSocket::peer_name(Endpoint* out) const {
  if (!m_udp->connected()) return false;
  *out = Endpoint{m_udp->peer_ip(), m_udp->peer_port()};
  return true;
}

// Linux (ip_route_output / udp_sendmsg): sending to a broadcast address
// needs SO_BROADCAST, else EACCES.
bool InetUdpSocket::broadcast_refused(uint32_t ip) const {
  if (m_broadcast) return false;
  if (ip == 0xffffffffu) return true;
  inet::Stack* stack = netdev::stack();
  if (stack == nullptr) return false;
  const inet::StackConfig& c = stack->config();
  if (c.prefix == 0 || c.prefix >= 31) return false;  // no directed broadcast on /31, /32
  uint32_t mask = inet::hton32(~uint32_t{0} << (32 - c.prefix));
  return (ip & ~mask) == ~mask && (ip & mask) == (c.ip & mask);
}

long InetUdpSocket::sendmsg(SockMsg* msg, int flags) {
  size_t total = iov_total(msg->iov, msg->iovlen);
  if (total > kMaxDatagram) return -EMSGSIZE;
  if (msg->has_addr && broadcast_refused(msg->addr.ip)) return -EACCES;
  bool nonblock = nonblocking() || (flags & uapi::MSG_DONTWAIT) != 0;
  uint64_t until = deadline(m_sndtimeo_ns);
  // One datagram: from the one buffer that holds it, or gathered.
  const uint8_t* data = nullptr;
  uint8_t* bounce = nullptr;
  if (iov_pieces(msg->iov, msg->iovlen) > 1) {
    bounce = static_cast<uint8_t*>(kmalloc(total));
    if (bounce == nullptr) return -ENOMEM;
    iov_gather(msg->iov, msg->iovlen, bounce, total);
    data = bounce;
  } else {
    IovCursor cur(msg->iov, msg->iovlen);
    data = cur.done() ? nullptr : cur.ptr();
  }
  long r;
  for (;;) {
    r = m_udp->sendto(data, total, msg->has_addr, msg->addr.ip, msg->addr.port);
    if (r != -EAGAIN || nonblock) break;
    if (long w = wait(until); w < 0) {
      r = w;
      break;
    }
  }
  if (bounce != nullptr) kfree(bounce);
  if (r == -EPIPE) return broken_pipe(flags);
  return r;
}

long InetUdpSocket::recvmsg(SockMsg* msg, int flags) {
  bool nonblock = nonblocking() || (flags & uapi::MSG_DONTWAIT) != 0;
  bool peek = (flags & uapi::MSG_PEEK) != 0;
  uint64_t until = deadline(m_rcvtimeo_ns);
  size_t total = iov_total(msg->iov, msg->iovlen);
  // One datagram: into the one buffer, or through a copy scattered after.
  uint8_t* data = nullptr;
  uint8_t* bounce = nullptr;
  size_t cap = total;
  if (iov_pieces(msg->iov, msg->iovlen) > 1) {
    cap = total < kMaxDatagram ? total : kMaxDatagram;
    bounce = static_cast<uint8_t*>(kmalloc(cap));
    if (bounce == nullptr) return -ENOMEM;
    data = bounce;
  } else {
    IovCursor cur(msg->iov, msg->iovlen);
    data = cur.done() ? nullptr : cur.ptr();
    cap = cur.done() ? 0 : cur.len();
  }
  long r;
  size_t full = 0;
  uint32_t ip = 0;
  uint16_t port = 0;
  for (;;) {
    r = m_udp->recvfrom(data, cap, peek, &full, &ip, &port);
    if (r != -EAGAIN || nonblock) break;
    if (long w = wait(until); w < 0) {
      r = w;
      break;
    }
  }
  if (r >= 0) {
    if (bounce != nullptr) iov_scatter(msg->iov, msg->iovlen, bounce, static_cast<size_t>(r));
    if (ip != 0 || port != 0) {
      msg->has_addr = true;
      msg->addr = Endpoint{ip, port};
    }
    if (full > static_cast<size_t>(r)) msg->out_flags |= uapi::MSG_TRUNC;
    // MSG_TRUNC asks for the datagram's real length (Linux udp_recvmsg).
    if ((flags & uapi::MSG_TRUNC) != 0) r = static_cast<long>(full);
  }
  if (bounce != nullptr) kfree(bounce);
  return r;
}

long InetUdpSocket::options_changed(int level, int name) {
  // The family's peers, as for TCP (inet_tcp_socket.cpp).
  if ((level == uapi::SOL_SOCKET && name == uapi::SO_DOMAIN) ||
      (level == uapi::IPPROTO_IPV6 && name == uapi::IPV6_V6ONLY)) {
    using F = inet::PeerFamily;
    return m_udp->set_family(!m_inet6 ? F::ipv4_only : m_v6only ? F::ipv6_only : F::any);
  }
  if (level != uapi::SOL_SOCKET) return 0;
  switch (name) {
    case uapi::SO_REUSEADDR: m_udp->set_reuseaddr(m_reuseaddr); break;
    case uapi::SO_RCVBUF:
    case uapi::SO_RCVBUFFORCE: m_udp->set_rcvbuf(m_rcvbuf / 2); break;
    case uapi::SO_SNDBUF:
    case uapi::SO_SNDBUFFORCE: m_udp->set_sndbuf(m_sndbuf / 2); break;
    default: break;
  }
  return 0;
}

long InetUdpSocket::membership6(bool join, const uint8_t group[16], int ifindex) {
  // Linux's ipv6_sock_mc_join/drop: a group address, an interface that
  // exists (the device is the only one), each group once per socket.
  if (group[0] != 0xff) return -EINVAL;
  inet::Stack* stack = netdev::stack();
  if (stack == nullptr || stack->ip6_peers() == nullptr) return -ENODEV;
  if (ifindex != 0 && ifindex != static_cast<int>(kInet6IfIndex)) return -ENODEV;
  uint8_t at = 0;
  while (at < m_ngroups && memcmp(m_groups[at], group, 16) != 0) ++at;
  if (!join) {
    if (at == m_ngroups) return -EADDRNOTAVAIL;
    stack->ip6_peers()->leave(group);
    memcpy(m_groups[at], m_groups[m_ngroups - 1], 16);
    --m_ngroups;
    return 0;
  }
  if (at < m_ngroups) return -EADDRINUSE;
  if (m_groups == nullptr) {
    m_groups = static_cast<uint8_t(*)[16]>(kmalloc(size_t{kMaxGroups} * 16));
    if (m_groups == nullptr) return -ENOBUFS;
  }
  if (m_ngroups == kMaxGroups || !stack->ip6_peers()->join(group)) return -ENOBUFS;
  memcpy(m_groups[m_ngroups++], group, 16);
  return 0;
}

bool InetUdpSocket::option_value(int level, int name, int* value) const {
  if (level != uapi::SOL_SOCKET) return false;
  if (name == uapi::SO_RCVBUF) *value = m_udp->rcvbuf();
  else if (name == uapi::SO_SNDBUF) *value = m_udp->sndbuf();
  else return false;
  return true;
}

}  // namespace libos::net
