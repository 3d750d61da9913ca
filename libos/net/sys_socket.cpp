// socket, socketpair, bind, listen, accept, accept4, connect, shutdown,
// getsockname, getpeername, setsockopt, getsockopt.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "fs/fdtable.hpp"
#include "net/sock_fd.hpp"
#include "net/sockopt.hpp"
#include "net/syscalls.hpp"

using namespace libos;
using namespace libos::net;

namespace {

// Reads a sockaddr_in the program passed: -EINVAL if too short, -EFAULT,
// -EAFNOSUPPORT for another family.
long get_addr(const void* addr, int addrlen, SockaddrIn* out) {
  if (addrlen < 0 || static_cast<size_t>(addrlen) < sizeof(SockaddrIn)) return -EINVAL;
  if (!user_readable(addr, sizeof(SockaddrIn))) return -EFAULT;
  memcpy(out, addr, sizeof(*out));
  if (out->family != kAfInet) return -EAFNOSUPPORT;
  return 0;
}

// Checks an (addr, addrlen) result pair before a call commits to anything
// (accept must not lose a connection to a bad pointer).
long check_addr_out(void* addr, int* addrlen) {
  if (addr == nullptr) return 0;
  if (!user_writable(addrlen, sizeof(int))) return -EFAULT;
  if (*addrlen < 0) return -EINVAL;
  size_t len =
      *addrlen < static_cast<int>(sizeof(SockaddrIn)) ? static_cast<size_t>(*addrlen) : sizeof(SockaddrIn);
  if (len > 0 && !user_writable(addr, len)) return -EFAULT;
  return 0;
}

long new_fd(Socket* s, int flags) {
  long fd = fd_install(s, (flags & kSockCloexec) != 0);
  if (fd < 0) s->put();
  return fd;
}

long name_of(int fd, void* addr, int* addrlen, bool peer) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (peer && s->m_state != SockState::connected) return -ENOTCONN;
  if (long err = check_addr_out(addr, addrlen); err < 0) return err;
  if (addr == nullptr) return -EFAULT;
  put_sockaddr(addr, addrlen, peer ? s->m_peer_ip : s->m_local_ip, peer ? s->m_peer_port : s->m_local_port);
  return 0;
}

}  // namespace

namespace libos::net {

long socket_of(int fd, Socket** out) {
  fs::File* file = fs::fd_get(fd);
  if (file == nullptr) return -EBADF;
  if (file->kind() != fs::FileKind::socket) return -ENOTSOCK;
  *out = static_cast<Socket*>(file);
  return 0;
}

void put_sockaddr(void* addr, int* addrlen, uint32_t ip, uint16_t port) {
  if (addr == nullptr) return;
  SockaddrIn sa{};
  sa.family = kAfInet;
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
  if (flags & ~(kSockNonblock | kSockCloexec)) return -EINVAL;
  if (domain < 0 || domain >= kAfMax) return -EAFNOSUPPORT;
  if (base < 1 || base > kSockMaxType) return -EINVAL;
  // Only AF_INET streams exist here (the channel carries streams): AF_INET6,
  // AF_UNIX, AF_NETLINK... are "not supported", as on a kernel built without
  // them; datagram and raw sockets likewise.
  if (domain != kAfInet) return -EAFNOSUPPORT;
  if (base != kSockStream) return -ESOCKTNOSUPPORT;
  if (protocol != 0 && protocol != kIpprotoTcp) return -EPROTONOSUPPORT;
  Socket* s = nullptr;
  if (long err = socket_create(flags, &s); err < 0) return err;
  return new_fd(s, flags);
}

long sys_socketpair(int domain, int type, int protocol, int* sv) {
  (void)protocol, (void)sv;
  int base = type & 0xf;
  if ((type & ~0xf) & ~(kSockNonblock | kSockCloexec)) return -EINVAL;
  if (domain < 0 || domain >= kAfMax) return -EAFNOSUPPORT;
  if (base < 1 || base > kSockMaxType) return -EINVAL;
  // AF_INET has no socket pairs (EOPNOTSUPP, as Linux); AF_UNIX is absent.
  return domain == kAfInet ? -EOPNOTSUPP : -EAFNOSUPPORT;
}

long sys_bind(int fd, const void* addr, int addrlen) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  SockaddrIn sa;
  if (long err = get_addr(addr, addrlen, &sa); err < 0) return err;
  return s->bind(sa.addr, bswap16(sa.port));
}

long sys_listen(int fd, int backlog) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  return s->listen(backlog);
}

long sys_accept4(int fd, void* addr, int* addrlen, int flags) {
  if (flags & ~(kSockNonblock | kSockCloexec)) return -EINVAL;
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (long err = check_addr_out(addr, addrlen); err < 0) return err;
  if (!fs::fd_has_free()) return -EMFILE;  // Linux reserves the fd first
  SocketRef hold(s);
  Socket* conn = nullptr;
  if (long err = s->accept(flags, &conn); err < 0) return err;
  put_sockaddr(addr, addrlen, conn->m_peer_ip, conn->m_peer_port);
  return new_fd(conn, flags);
}

long sys_accept(int fd, void* addr, int* addrlen) { return sys_accept4(fd, addr, addrlen, 0); }

long sys_connect(int fd, const void* addr, int addrlen) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  SockaddrIn sa;
  if (long err = get_addr(addr, addrlen, &sa); err < 0) return err;
  SocketRef hold(s);
  return s->connect(sa.addr, bswap16(sa.port));
}

long sys_shutdown(int fd, int how) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  return s->shutdown(how);
}

long sys_getsockname(int fd, void* addr, int* addrlen) { return name_of(fd, addr, addrlen, false); }
long sys_getpeername(int fd, void* addr, int* addrlen) { return name_of(fd, addr, addrlen, true); }

long sys_setsockopt(int fd, int level, int name, const void* optval, unsigned optlen) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (static_cast<int>(optlen) < 0) return -EINVAL;
  return socket_setsockopt(s, level, name, optval, optlen);
}

long sys_getsockopt(int fd, int level, int name, void* optval, int* optlen) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  return socket_getsockopt(s, level, name, optval, optlen);
}
