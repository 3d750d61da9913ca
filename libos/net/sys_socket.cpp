// socket, socketpair, bind, listen, accept, accept4, connect, shutdown,
// getsockname, getpeername, setsockopt, getsockopt.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "net/inet6_addr.hpp"
#include "net/inet_tcp_socket.hpp"
#include "net/inet_udp_socket.hpp"
#include "net/loop_channel.hpp"
#include "net/socket/sock_fd.hpp"
#include "net/channel/channel.hpp"
#include "net/channel/channel_socket.hpp"
#include "net/socket/sockopt.hpp"
#include "net/syscalls.hpp"
#include "net/unix/unix_socket.hpp"
#include "netdev/netdev.hpp"
#include "uapi/in.hpp"
#include "uapi/socket.hpp"

using namespace libos;
using namespace libos::net;

namespace {

// Reads the sockaddr a program passed to bind or connect, as Linux's
// move_addr_to_kernel then inet_bind / inet_*_connect: -EINVAL for a length
// past sockaddr_storage or too short for the family, -EFAULT. AF_UNSPEC
// needs only its family; any other family a whole sockaddr_in.
long get_addr(const void* addr, int addrlen, uapi::SockaddrIn* out) {
  constexpr int kSockaddrStorage = sizeof(uapi::SockaddrStorage);
  if (addrlen < 0 || addrlen > kSockaddrStorage) return -EINVAL;
  memset(out, 0, sizeof(*out));
  size_t len = static_cast<size_t>(addrlen) < sizeof(*out) ? static_cast<size_t>(addrlen) : sizeof(*out);
  if (len > 0 && !user_readable(addr, len)) return -EFAULT;
  memcpy(out, addr, len);
  if (len < sizeof(out->family)) return -EINVAL;
  if (out->family == uapi::AF_UNSPEC && len < sizeof(*out)) return 0;
  if (len < sizeof(*out)) return -EINVAL;
  return 0;
}

// Checks an (addr, addrlen) result pair before a call commits to anything
// (accept must not lose a connection to a bad pointer).
long check_addr_out(const SocketFile* s, void* addr, int* addrlen) {
  if (addr == nullptr) return 0;
  if (!user_writable(addrlen, sizeof(int))) return -EFAULT;
  if (*addrlen < 0) return -EINVAL;
  size_t full = s->m_inet6 ? sizeof(uapi::SockaddrIn6) : sizeof(uapi::SockaddrIn);
  size_t len = *addrlen < static_cast<int>(full) ? static_cast<size_t>(*addrlen) : full;
  if (len > 0 && !user_writable(addr, len)) return -EFAULT;
  return 0;
}

long new_fd(SocketFile* s, int flags) {
  long fd = fd_install(s, (flags & uapi::SOCK_CLOEXEC) != 0);
  if (fd < 0) s->put();
  return fd;
}

long name_of(int fd, void* addr, int* addrlen, bool peer) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (s->family() == uapi::AF_UNIX) return unix_sys_name(static_cast<UnixSocket*>(s), addr, addrlen, peer);
  Endpoint e = s->local_name();
  if (peer && !s->peer_name(&e)) return -ENOTCONN;
  if (long err = check_addr_out(s, addr, addrlen); err < 0) return err;
  if (addr == nullptr) return -EFAULT;
  put_sockaddr_of(s, addr, addrlen, e.ip, e.port);
  return 0;
}

// Which transport carries an AF_INET socket. With a network device, every
// AF_INET socket, stream or datagram, goes through the LibOS's TCP/IP stack:
// the instance faces a real network and its addresses are real. In a pool
// (a channel, no device), streams go over the pool's shared-memory channel
// as before (issue 3): the host connects to the instance's listeners there.
// Everything else -- datagrams in a pool, and every socket of an instance
// with neither device nor channel (plain `shoal run`) -- uses the
// loopback-only stack (netdev/loopback.cpp), built at the first such socket:
// Linux always has `lo`, so a program can talk to itself over 127.0.0.0/8.
// One transport per socket, chosen at socket(): a socket cannot wait for its
// first address to pick one, since bind and listen come first and a
// listener cannot straddle both.
long create_socket(int base, int protocol, int flags, SocketFile** out) {
  inet::Stack* stack = netdev::stack();
  if (base == uapi::SOCK_STREAM) {
    if (protocol != 0 && protocol != uapi::IPPROTO_TCP) return -EPROTONOSUPPORT;
    if (stack == nullptr && !channel_present()) stack = netdev::loopback_stack();
    if (stack != nullptr) return inet_tcp_create(*stack, flags, out);
    ChannelSocket* s = nullptr;
    if (long err = socket_create(flags, &s); err < 0) return err;
    *out = s;
    return 0;
  }
  if (base == uapi::SOCK_DGRAM) {
    if (protocol != 0 && protocol != uapi::IPPROTO_UDP) return -EPROTONOSUPPORT;
    if (stack == nullptr) stack = netdev::loopback_stack();
    if (stack == nullptr) return -ENOMEM;
    return inet_udp_create(*stack, flags, out);
  }
  // Raw sockets, as on a kernel built without them.
  return -ESOCKTNOSUPPORT;
}

}  // namespace

namespace libos::net {

long socket_of(int fd, SocketFile** out) {
  fs::File* file = fs::fd_get(fd);
  if (file == nullptr) return -EBADF;
  if (file->kind() != fs::FileKind::socket) return -ENOTSOCK;
  *out = static_cast<SocketFile*>(file);
  return 0;
}

void put_sockaddr_of(const SocketFile* s, void* addr, int* addrlen, uint32_t ip, uint16_t port) {
  if (s->m_inet6) inet6_put_sockaddr(addr, addrlen, ip, port);
  else put_sockaddr(addr, addrlen, ip, port);
}

void put_sockaddr(void* addr, int* addrlen, uint32_t ip, uint16_t port) {
  if (addr == nullptr) return;
  uapi::SockaddrIn sa{};
  sa.family = uapi::AF_INET;
  sa.port = bswap16(port);
  sa.addr = ip;
  size_t len = *addrlen < static_cast<int>(sizeof(sa)) ? static_cast<size_t>(*addrlen) : sizeof(sa);
  memcpy(addr, &sa, len);
  *addrlen = sizeof(sa);
}

}  // namespace libos::net

long sys_socket(int domain, int type, int protocol) {
  int base = type & 0xf;
  int flags = type & ~0xf;
  if (flags & ~(uapi::SOCK_NONBLOCK | uapi::SOCK_CLOEXEC)) return -EINVAL;
  if (domain < 0 || domain >= uapi::AF_MAX) return -EAFNOSUPPORT;
  if (base < 1 || base > kSockMaxType) return -EINVAL;
  if (domain == uapi::AF_UNIX) return unix_sys_socket(base, protocol, flags);
  // AF_INET, and AF_INET6 as dual-stack sockets over the same transports
  // (net/inet6_addr.hpp); AF_NETLINK... are "not supported", as on a kernel
  // built without them.
  if (domain != uapi::AF_INET && domain != uapi::AF_INET6) return -EAFNOSUPPORT;
  SocketFile* s = nullptr;
  if (long err = create_socket(base, protocol, flags, &s); err < 0) return err;
  s->m_inet6 = domain == uapi::AF_INET6;
  // The transport learns the family (SO_DOMAIN is read-only, so this call
  // means "the family is set"): TCP keeps ::1 peers from AF_INET listeners.
  s->options_changed(uapi::SOL_SOCKET, uapi::SO_DOMAIN);
  return new_fd(s, flags);
}

long sys_socketpair(int domain, int type, int protocol, int* sv) {
  int base = type & 0xf;
  if ((type & ~0xf) & ~(uapi::SOCK_NONBLOCK | uapi::SOCK_CLOEXEC)) return -EINVAL;
  if (domain < 0 || domain >= uapi::AF_MAX) return -EAFNOSUPPORT;
  if (base < 1 || base > kSockMaxType) return -EINVAL;
  if (domain == uapi::AF_UNIX) return unix_sys_socketpair(base, protocol, type & ~0xf, sv);
  // AF_INET and AF_INET6 have no socket pairs (EOPNOTSUPP, as Linux).
  return domain == uapi::AF_INET || domain == uapi::AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
}

long sys_bind(int fd, const void* addr, int addrlen) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (s->family() == uapi::AF_UNIX) return unix_sys_bind(static_cast<UnixSocket*>(s), addr, addrlen);
  if (s->m_inet6) {
    int family = 0;
    uint32_t ip = 0;
    uint16_t port = 0;
    if (long err = inet6_get_addr(s, addr, addrlen, true, &family, &ip, &port); err < 0) return err;
    return s->bind(ip, port);
  }
  uapi::SockaddrIn sa;
  if (long err = get_addr(addr, addrlen, &sa); err < 0) return err;
  if (static_cast<size_t>(addrlen) < sizeof(sa)) return -EINVAL;
  // Linux (inet_bind): AF_UNSPEC passes for AF_INET with INADDR_ANY only.
  if (sa.family != uapi::AF_INET && !(sa.family == uapi::AF_UNSPEC && sa.addr == 0)) return -EAFNOSUPPORT;
  return s->bind(sa.addr, bswap16(sa.port));
}

long sys_listen(int fd, int backlog) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  return s->listen(backlog);
}

long sys_accept4(int fd, void* addr, int* addrlen, int flags) {
  if (flags & ~(uapi::SOCK_NONBLOCK | uapi::SOCK_CLOEXEC)) return -EINVAL;
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (s->family() == uapi::AF_UNIX) return unix_sys_accept(static_cast<UnixSocket*>(s), addr, addrlen, flags);
  if (long err = check_addr_out(s, addr, addrlen); err < 0) return err;
  if (!fs::fd_has_free()) return -EMFILE;  // Linux reserves the fd first
  SocketRef hold(s);
  SocketFile* conn = nullptr;
  Endpoint peer;
  for (;;) {
    if (long err = s->accept(flags, &conn); err < 0) return err;
    if (!conn->peer_name(&peer)) peer = Endpoint{};  // reset already: Linux still gives the address
    // An IPV6_V6ONLY listener takes IPv6 peers only. Over the stack TCP
    // refuses the others already; an IPv4 peer of the channel is dropped
    // here (Linux never lets it reach that listener).
    if (!s->m_v6only || inet6_is_native(peer.ip)) break;
    conn->put();
  }
  conn->m_inet6 = s->m_inet6;
  conn->m_v6only = s->m_v6only;
  put_sockaddr_of(s, addr, addrlen, peer.ip, peer.port);
  return new_fd(conn, flags);
}

long sys_accept(int fd, void* addr, int* addrlen) { return sys_accept4(fd, addr, addrlen, 0); }

long sys_connect(int fd, const void* addr, int addrlen) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (s->family() == uapi::AF_UNIX) {
    SocketRef hold(s);
    return unix_sys_connect(static_cast<UnixSocket*>(s), addr, addrlen);
  }
  if (s->m_inet6) {
    int family = 0;
    uint32_t ip = 0;
    uint16_t port = 0;
    if (long err = inet6_get_addr(s, addr, addrlen, false, &family, &ip, &port); err < 0) return err;
    SocketRef hold(s);
    // The transports speak AF_INET: the address is already in its IPv4 form.
    return s->connect(family == uapi::AF_INET6 ? uapi::AF_INET : family, ip, port);
  }
  uapi::SockaddrIn sa;
  if (long err = get_addr(addr, addrlen, &sa); err < 0) return err;
  // AF_UNSPEC: the transport dissolves the association (datagrams) or
  // says what it does with a stream.
  if (sa.family != uapi::AF_INET && sa.family != uapi::AF_UNSPEC) return -EAFNOSUPPORT;
  SocketRef hold(s);
  // A pool instance's channel stream to 127/8 reaches its own listener
  // without the host (loop_channel.cpp); only a fresh socket connects.
  if (sa.family == uapi::AF_INET && is_loopback(sa.addr) && s->family() == uapi::AF_INET &&
      s->type() == uapi::SOCK_STREAM && netdev::stack() == nullptr && channel_present()) {
    auto* cs = static_cast<ChannelSocket*>(s);
    if (cs->m_state == SockState::closed && !cs->m_connect_unreported) {
      return channel_loopback_connect(cs, sa.addr, bswap16(sa.port));
    }
  }
  return s->connect(sa.family, sa.addr, bswap16(sa.port));
}

long sys_shutdown(int fd, int how) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  return s->shutdown(how);
}

long sys_getsockname(int fd, void* addr, int* addrlen) { return name_of(fd, addr, addrlen, false); }
long sys_getpeername(int fd, void* addr, int* addrlen) { return name_of(fd, addr, addrlen, true); }

long sys_setsockopt(int fd, int level, int name, const void* optval, unsigned optlen) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  long unix_result = 0;
  if (s->family() == uapi::AF_UNIX && unix_sys_setsockopt(static_cast<UnixSocket*>(s), level, name, optval, optlen, &unix_result)) return unix_result;
  if (static_cast<int>(optlen) < 0) return -EINVAL;
  return socket_setsockopt(s, level, name, optval, optlen);
}

long sys_getsockopt(int fd, int level, int name, void* optval, int* optlen) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  long unix_result = 0;
  if (s->family() == uapi::AF_UNIX && unix_sys_getsockopt(static_cast<UnixSocket*>(s), level, name, optval, optlen, &unix_result)) return unix_result;
  return socket_getsockopt(s, level, name, optval, optlen);
}
