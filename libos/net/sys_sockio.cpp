// sendto, recvfrom, sendmsg, recvmsg: user memory and addresses are checked
// here, the transport moves the bytes (SocketFile::sendmsg / recvmsg).
// Streams ignore a destination on a connected socket (as Linux TCP) and
// report no source (msg_namelen 0); datagrams use and report both. No
// ancillary data is sent or received.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/iovec.hpp"
#include "uapi/uio.hpp"
#include "net/inet6_addr.hpp"
#include "net/socket/sock_fd.hpp"
#include "net/syscalls.hpp"
#include "net/unix/unix_socket.hpp"
#include "uapi/in.hpp"
#include "uapi/limits.hpp"
#include "uapi/socket.hpp"

using namespace libos;
using namespace libos::net;

namespace {

// Linux's MAX_RW_COUNT.
constexpr size_t kMaxRw = uapi::MAX_RW_COUNT;
constexpr int kSockaddrStorage = sizeof(uapi::SockaddrStorage);
using MsgHdr = uapi::Msghdr;

// Linux udp_sendmsg refuses a datagram past 64 KiB before it reads a byte
// (so before any EFAULT from the buffers).
constexpr size_t kMaxDatagram = 0xffff;

// MSG_OOB: no urgent data here (Linux TCP would send it; UDP refuses it).
long check_send_flags(int flags) { return (flags & uapi::MSG_OOB) ? -EOPNOTSUPP : 0; }

// datagram_send: a datagram socket's sendmsg (too long is EMSGSIZE before
// the buffers are checked).
long read_msghdr(const void* msg, MsgHdr* out, bool to_user, bool datagram_send = false) {
  if (!user_readable(msg, sizeof(MsgHdr))) return -EFAULT;
  memcpy(out, msg, sizeof(*out));
  if (static_cast<int32_t>(out->namelen) < 0) return -EINVAL;
  // A message's iovec count past UIO_MAXIOV is EMSGSIZE (readv says EINVAL).
  if (out->iovlen > static_cast<size_t>(uapi::kIovMax)) return -EMSGSIZE;
  if (datagram_send && out->iovlen > 0 && user_readable(out->iov, sizeof(uapi::Iovec) * out->iovlen)) {
    size_t total = 0;
    for (size_t i = 0; i < out->iovlen; ++i) {
      if (__builtin_add_overflow(total, out->iov[i].len, &total)) return -EINVAL;
    }
    if (total > kMaxDatagram && static_cast<long>(total) >= 0) return -EMSGSIZE;
  }
  return fs::check_iov(out->iov, out->iovlen, to_user);
}

// The destination of a send (sendto's addr, sendmsg's msg_name), as Linux's
// udp_sendmsg reads it: -EINVAL when shorter than sockaddr_in, -EFAULT,
// -EAFNOSUPPORT; AF_UNSPEC means "no address" (the connected peer). A
// stream ignores it altogether (tcp_sendmsg never looks).
long get_dest(const SocketFile* s, const void* addr, int addrlen, SockMsg* m) {
  if (addr == nullptr || s->type() == uapi::SOCK_STREAM) return 0;
  if (s->m_inet6) return inet6_get_dest(s, addr, addrlen, m);
  if (addrlen < 0 || addrlen > kSockaddrStorage) return -EINVAL;
  if (static_cast<size_t>(addrlen) < sizeof(uapi::SockaddrIn)) return -EINVAL;
  uapi::SockaddrIn sa;
  if (!user_readable(addr, sizeof(sa))) return -EFAULT;
  memcpy(&sa, addr, sizeof(sa));
  if (sa.family == uapi::AF_UNSPEC) return 0;
  if (sa.family != uapi::AF_INET) return -EAFNOSUPPORT;
  m->has_addr = true;
  m->addr = Endpoint{sa.addr, bswap16(sa.port)};
  return 0;
}

}  // namespace

long sys_sendto(int fd, const void* buf, size_t len, int flags, const void* addr, int addrlen) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (s->family() == uapi::AF_UNIX) {
    SocketRef hold(s);
    return unix_sys_sendto(static_cast<UnixSocket*>(s), buf, len, flags, addr, addrlen);
  }
  if (len > kMaxRw) len = kMaxRw;
  if (s->type() == uapi::SOCK_DGRAM && len > kMaxDatagram) return -EMSGSIZE;
  if (len > 0 && !user_readable(buf, len)) return -EFAULT;
  if (long err = check_send_flags(flags); err < 0) return err;
  uapi::Iovec iov{const_cast<void*>(buf), len};
  SockMsg m;
  m.iov = &iov;
  m.iovlen = 1;
  if (long err = get_dest(s, addr, addrlen, &m); err < 0) return err;
  SocketRef hold(s);
  return s->sendmsg(&m, flags);
}

long sys_recvfrom(int fd, void* buf, size_t len, int flags, void* addr, int* addrlen) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (s->family() == uapi::AF_UNIX) {
    SocketRef hold(s);
    return unix_sys_recvfrom(static_cast<UnixSocket*>(s), buf, len, flags, addr, addrlen);
  }
  if (len > kMaxRw) len = kMaxRw;
  if (len > 0 && !user_writable(buf, len)) return -EFAULT;
  if (flags & uapi::MSG_OOB) return -EINVAL;  // no urgent data is ever pending
  uapi::Iovec iov{buf, len};
  SockMsg m;
  m.iov = &iov;
  m.iovlen = 1;
  SocketRef hold(s);
  long n = s->recvmsg(&m, flags);
  if (n >= 0 && addr != nullptr) {
    if (!user_writable(addrlen, sizeof(int))) return -EFAULT;
    if (*addrlen < 0) return -EINVAL;
    if (m.has_addr) {
      size_t full = s->m_inet6 ? sizeof(uapi::SockaddrIn6) : sizeof(uapi::SockaddrIn);
      if (*addrlen > 0 && !user_writable(addr, static_cast<size_t>(*addrlen) < full ? static_cast<size_t>(*addrlen) : full))
        return -EFAULT;
      put_sockaddr_of(s, addr, addrlen, m.addr.ip, m.addr.port);
    } else {
      *addrlen = 0;  // a stream has no per-message source
    }
  }
  return n;
}

long sys_sendmsg(int fd, const void* msg, int flags) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (s->family() == uapi::AF_UNIX) {
    SocketRef hold(s);
    return unix_sys_sendmsg(static_cast<UnixSocket*>(s), msg, flags);
  }
  MsgHdr h;
  if (long err = read_msghdr(msg, &h, false, s->type() == uapi::SOCK_DGRAM); err < 0) return err;
  if (long err = check_send_flags(flags); err < 0) return err;
  SockMsg m;
  m.iov = h.iov;
  m.iovlen = h.iovlen;
  if (long err = get_dest(s, h.name, static_cast<int>(h.namelen), &m); err < 0) return err;
  SocketRef hold(s);
  return s->sendmsg(&m, flags);
}

long sys_recvmsg(int fd, void* msg, int flags) {
  SocketFile* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (s->family() == uapi::AF_UNIX) {
    SocketRef hold(s);
    return unix_sys_recvmsg(static_cast<UnixSocket*>(s), msg, flags);
  }
  MsgHdr h;
  if (long err = read_msghdr(msg, &h, true); err < 0) return err;
  if (flags & uapi::MSG_OOB) return -EINVAL;
  if (!user_writable(msg, sizeof(MsgHdr))) return -EFAULT;
  if (h.name != nullptr && h.namelen > 0) {
    size_t full = s->m_inet6 ? sizeof(uapi::SockaddrIn6) : sizeof(uapi::SockaddrIn);
    size_t want = h.namelen < full ? h.namelen : full;
    if (!user_writable(h.name, want)) return -EFAULT;
  }
  SockMsg m;
  m.iov = h.iov;
  m.iovlen = h.iovlen;
  SocketRef hold(s);
  long total = s->recvmsg(&m, flags);
  if (total < 0) return total;
  auto* out = static_cast<MsgHdr*>(msg);
  if (h.name != nullptr) {
    if (m.has_addr) {
      int len = static_cast<int>(h.namelen);
      put_sockaddr_of(s, h.name, &len, m.addr.ip, m.addr.port);
      out->namelen = static_cast<uint32_t>(len);
    } else {
      out->namelen = 0;
    }
  }
  out->controllen = 0;
  out->flags = m.out_flags;
  return total;
}
