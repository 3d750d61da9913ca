// The AF_UNIX halves of the socket system calls: sockaddr_un in and out,
// ancillary data (SCM_RIGHTS, SCM_CREDENTIALS) in and out, SO_PEERCRED and
// SO_PASSCRED. libos/net/sys_*.cpp call these once they know the socket (or
// the requested domain) is AF_UNIX; user pointers are checked here.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "fs/fdtable.hpp"
#include "fs/iovec.hpp"
#include "mm/kmalloc.hpp"
#include "net/unix/unix_socket.hpp"
#include "uapi/socket.hpp"
#include "uapi/uio.hpp"

namespace libos::net {
namespace {

constexpr size_t kMaxRw = 0x7ffff000;  // Linux's MAX_RW_COUNT

struct MsgHdr {
  void* name;
  uint32_t namelen;
  uint32_t pad0;
  uapi::Iovec* iov;
  size_t iovlen;
  void* control;
  size_t controllen;
  int32_t flags;
  int32_t pad1;
};
static_assert(sizeof(MsgHdr) == 56);

struct CmsgHdr {
  size_t len;
  int32_t level;
  int32_t type;
};
static_assert(sizeof(CmsgHdr) == 16);

constexpr size_t cmsg_align(size_t n) { return (n + 7) & ~size_t{7}; }

// Checks an (addr, addrlen) result pair before anything is committed.
long check_addr_out(void* addr, int* addrlen) {
  if (addr == nullptr) return 0;
  if (!user_writable(addrlen, sizeof(int))) return -EFAULT;
  if (*addrlen < 0) return -EINVAL;
  size_t want = kUnixPathOffset + kUnixPathMax;
  size_t len = static_cast<size_t>(*addrlen) < want ? static_cast<size_t>(*addrlen) : want;
  if (len > 0 && !user_writable(addr, len)) return -EFAULT;
  return 0;
}

long install(UnixSocket* s, int flags) {
  long fd = fs::fd_install(s, (flags & uapi::SOCK_CLOEXEC) != 0);
  if (fd < 0) s->put();
  return fd;
}

// __scm_send: walks the control buffer; cmsgs of other levels are skipped,
// SOL_SOCKET ones must be SCM_RIGHTS (each fd open: EBADF; at most
// SCM_MAX_FD: EINVAL) or SCM_CREDENTIALS (the program runs as root, which
// Linux lets name any credentials: they are passed as given).
long read_control(const void* control, size_t controllen, UnixSendAnc* anc) {
  if (controllen == 0) return 0;
  if (controllen > 0x7fffffff) return -ENOMEM;
  if (!user_readable(control, controllen)) return -EFAULT;
  const auto* base = static_cast<const char*>(control);
  size_t off = 0;
  while (off + sizeof(CmsgHdr) <= controllen) {
    CmsgHdr h;
    memcpy(&h, base + off, sizeof(h));
    if (h.len < sizeof(CmsgHdr) || h.len > controllen - off) return -EINVAL;
    const char* data = base + off + sizeof(CmsgHdr);
    size_t dlen = h.len - sizeof(CmsgHdr);
    if (h.level == uapi::SOL_SOCKET) {
      if (h.type == uapi::SCM_RIGHTS) {
        size_t n = dlen / sizeof(int);
        if (anc->nfds + n > static_cast<size_t>(uapi::SCM_MAX_FD)) return -EINVAL;
        for (size_t i = 0; i < n; ++i) {
          int fd;
          memcpy(&fd, data + i * sizeof(int), sizeof(fd));
          fs::File* f = fs::fd_get(fd);
          if (f == nullptr) return -EBADF;
          f->get();
          anc->fds[anc->nfds++] = f;
        }
      } else if (h.type == uapi::SCM_CREDENTIALS) {
        if (dlen != sizeof(UnixCred)) return -EINVAL;
        memcpy(&anc->cred, data, sizeof(UnixCred));
        anc->has_cred = true;
      } else {
        return -EINVAL;
      }
    }
    off += cmsg_align(h.len);
  }
  return 0;
}

void drop_fds(UnixSendAnc* anc) {
  for (int i = 0; i < anc->nfds; ++i) anc->fds[i]->put();
  anc->nfds = 0;
}

// put_cmsg / scm_detach_fds: writes the received credentials and
// descriptors into the user's control buffer; what does not fit is
// truncated (MSG_CTRUNC) and extra descriptors closed. The bytes used.
size_t write_control(void* control, size_t controllen, UnixRecvAnc* anc, int flags, int* msg_flags) {
  auto* out = static_cast<char*>(control);
  size_t used = 0;
  if (anc->has_cred) {
    size_t need = sizeof(CmsgHdr) + sizeof(UnixCred);
    size_t room = controllen - used;
    if (control == nullptr || room < sizeof(CmsgHdr)) {
      *msg_flags |= uapi::MSG_CTRUNC;
    } else {
      char buf[sizeof(CmsgHdr) + sizeof(UnixCred)];
      CmsgHdr h{need, uapi::SOL_SOCKET, uapi::SCM_CREDENTIALS};
      memcpy(buf, &h, sizeof(h));
      memcpy(buf + sizeof(h), &anc->cred, sizeof(UnixCred));
      size_t n = need;
      if (room < need) {
        *msg_flags |= uapi::MSG_CTRUNC;
        n = room;
        h.len = room;
        memcpy(buf, &h, sizeof(h));
      }
      memcpy(out + used, buf, n);
      size_t adv = cmsg_align(n);
      used += adv < room ? adv : room;
    }
  }
  if (anc->nfds > 0) {
    size_t room = controllen - used;
    size_t fdmax = (control != nullptr && room > sizeof(CmsgHdr)) ? (room - sizeof(CmsgHdr)) / sizeof(int) : 0;
    int installed = 0;
    bool cloexec = (flags & uapi::MSG_CMSG_CLOEXEC) != 0;
    for (int i = 0; i < anc->nfds; ++i) {
      if (static_cast<size_t>(installed) < fdmax) {
        long fd = fs::fd_install(anc->fds[i], cloexec);
        if (fd >= 0) {
          int v = static_cast<int>(fd);
          memcpy(out + used + sizeof(CmsgHdr) + sizeof(int) * static_cast<size_t>(installed), &v, sizeof(v));
          ++installed;
          continue;
        }
      }
      *msg_flags |= uapi::MSG_CTRUNC;
      anc->fds[i]->put();
    }
    if (installed > 0) {
      size_t len = sizeof(CmsgHdr) + sizeof(int) * static_cast<size_t>(installed);
      CmsgHdr h{len, uapi::SOL_SOCKET, uapi::SCM_RIGHTS};
      memcpy(out + used, &h, sizeof(h));
      size_t adv = cmsg_align(len);
      used += adv < room ? adv : room;
    }
  }
  kfree(anc->fds);
  anc->fds = nullptr;
  anc->nfds = 0;
  return used;
}

}  // namespace

long unix_sys_socket(int type, int protocol, int flags) {
  // unix_create: SOCK_RAW is taken as SOCK_DGRAM; protocol 0 or PF_UNIX.
  if (protocol != 0 && protocol != uapi::AF_UNIX) return -EPROTONOSUPPORT;
  if (type == uapi::SOCK_RAW) type = uapi::SOCK_DGRAM;
  if (type != uapi::SOCK_STREAM && type != uapi::SOCK_DGRAM && type != uapi::SOCK_SEQPACKET) {
    return -ESOCKTNOSUPPORT;
  }
  UnixSocket* s = nullptr;
  if (long err = unix_create(type, flags, &s); err < 0) return err;
  return install(s, flags);
}

long unix_sys_socketpair(int type, int protocol, int flags, int* sv) {
  if (protocol != 0 && protocol != uapi::AF_UNIX) return -EPROTONOSUPPORT;
  if (type == uapi::SOCK_RAW) type = uapi::SOCK_DGRAM;
  if (type != uapi::SOCK_STREAM && type != uapi::SOCK_DGRAM && type != uapi::SOCK_SEQPACKET) {
    return -ESOCKTNOSUPPORT;
  }
  if (!user_writable(sv, 2 * sizeof(int))) return -EFAULT;
  UnixSocket* a = nullptr;
  UnixSocket* b = nullptr;
  if (long err = unix_pair(type, flags, &a, &b); err < 0) return err;
  bool cloexec = (flags & uapi::SOCK_CLOEXEC) != 0;
  long fa = fs::fd_install(a, cloexec);
  if (fa < 0) {
    a->put();
    b->put();
    return fa;
  }
  long fb = fs::fd_install(b, cloexec);
  if (fb < 0) {
    b->put();
    fs::fd_close(static_cast<int>(fa));
    return fb;
  }
  sv[0] = static_cast<int>(fa);
  sv[1] = static_cast<int>(fb);
  return 0;
}

long unix_sys_bind(UnixSocket* s, const void* addr, int addrlen) {
  UnixAddr a;
  if (long err = unix_get_addr(addr, addrlen, &a); err < 0) return err;
  return unix_bind(s, a);
}

long unix_sys_connect(UnixSocket* s, const void* addr, int addrlen) {
  UnixAddr a;
  if (s->m_type == uapi::SOCK_DGRAM) {
    // unix_dgram_connect: AF_UNSPEC dissolves the association.
    if (addrlen >= 2 && addrlen <= 128 && user_readable(addr, 2) && *static_cast<const uint16_t*>(addr) == 0) {
      return unix_connect(s, UnixAddr{});
    }
  }
  if (long err = unix_get_addr(addr, addrlen, &a); err < 0) return err;
  if (a.len == 0) return -EINVAL;  // unix_validate_addr: a name is needed
  return unix_connect(s, a);
}

long unix_sys_name(UnixSocket* s, void* addr, int* addrlen, bool peer) {
  if (peer && s->m_state != UnixSocket::State::connected) return -ENOTCONN;
  if (long err = check_addr_out(addr, addrlen); err < 0) return err;
  if (addr == nullptr) return -EFAULT;
  unix_put_addr(addr, addrlen, peer ? s->m_peer_addr : s->m_addr);
  return 0;
}

long unix_sys_accept(UnixSocket* s, void* addr, int* addrlen, int flags) {
  if (long err = check_addr_out(addr, addrlen); err < 0) return err;
  if (!fs::fd_has_free()) return -EMFILE;
  SocketFile* c = nullptr;
  s->get();  // held while accept may block (a close from another thread)
  long err = s->accept(flags, &c);
  s->put();
  if (err < 0) return err;
  auto* conn = static_cast<UnixSocket*>(c);
  if (addr != nullptr) unix_put_addr(addr, addrlen, conn->m_peer_addr);
  return install(conn, flags);
}

long unix_sys_sendto(UnixSocket* s, const void* buf, size_t len, int flags, const void* addr, int addrlen) {
  if (len > kMaxRw) len = kMaxRw;
  if (len > 0 && !user_readable(buf, len)) return -EFAULT;
  uapi::Iovec iov{const_cast<void*>(buf), len};
  UnixAddr dest;
  const UnixAddr* to = nullptr;
  if (addr != nullptr && addrlen != 0) {
    if (s->m_type == uapi::SOCK_STREAM) return unix_send(s, &iov, 1, flags, &dest, nullptr);
    if (long err = unix_get_addr(addr, addrlen, &dest); err < 0) return err;
    if (dest.len == 0) return -EINVAL;
    if (s->m_type == uapi::SOCK_DGRAM) to = &dest;
  }
  return unix_send(s, &iov, 1, flags, to, nullptr);
}

long unix_sys_recvfrom(UnixSocket* s, void* buf, size_t len, int flags, void* addr, int* addrlen) {
  if (len > kMaxRw) len = kMaxRw;
  if (len > 0 && !user_writable(buf, len)) return -EFAULT;
  uapi::Iovec iov{buf, len};
  int msg_flags = 0;
  UnixRecvAnc anc;
  long n = unix_recv(s, &iov, 1, flags, &msg_flags, &anc);
  for (int i = 0; i < anc.nfds; ++i) anc.fds[i]->put();  // nowhere to put them
  kfree(anc.fds);
  if (n >= 0 && addr != nullptr) {
    if (!user_writable(addrlen, sizeof(int))) return -EFAULT;
    if (*addrlen < 0) return -EINVAL;
    if (anc.has_from && anc.from.len > 0) {
      if (*addrlen > 0 && !user_writable(addr, static_cast<size_t>(*addrlen) < 110 ? static_cast<size_t>(*addrlen) : 110)) {
        return -EFAULT;
      }
      unix_put_addr(addr, addrlen, anc.from);
    } else {
      *addrlen = 0;
    }
  }
  return n;
}

long unix_sys_sendmsg(UnixSocket* s, const void* msg, int flags) {
  if (!user_readable(msg, sizeof(MsgHdr))) return -EFAULT;
  MsgHdr h;
  memcpy(&h, msg, sizeof(h));
  if (static_cast<int32_t>(h.namelen) < 0) return -EINVAL;
  if (h.iovlen > static_cast<size_t>(uapi::kIovMax)) return -EMSGSIZE;
  if (long err = fs::check_iov(h.iov, h.iovlen, false); err < 0) return err;
  UnixAddr dest;
  const UnixAddr* to = nullptr;
  if (h.name != nullptr && h.namelen != 0) {
    if (s->m_type == uapi::SOCK_STREAM) {
      to = &dest;  // unix_send answers EISCONN / EOPNOTSUPP
    } else {
      if (long err = unix_get_addr(h.name, static_cast<int>(h.namelen), &dest); err < 0) return err;
      if (dest.len == 0) return -EINVAL;
      if (s->m_type == uapi::SOCK_DGRAM) to = &dest;
    }
  }
  UnixSendAnc anc;
  if (long err = read_control(h.control, h.controllen, &anc); err < 0) {
    drop_fds(&anc);
    return err;
  }
  return unix_send(s, h.iov, h.iovlen, flags, to, &anc);
}

long unix_sys_recvmsg(UnixSocket* s, void* msg, int flags) {
  if (!user_readable(msg, sizeof(MsgHdr)) || !user_writable(msg, sizeof(MsgHdr))) return -EFAULT;
  MsgHdr h;
  memcpy(&h, msg, sizeof(h));
  if (static_cast<int32_t>(h.namelen) < 0) return -EINVAL;
  if (h.iovlen > static_cast<size_t>(uapi::kIovMax)) return -EMSGSIZE;
  if (long err = fs::check_iov(h.iov, h.iovlen, true); err < 0) return err;
  if (h.name != nullptr && h.namelen > 0) {
    size_t want = h.namelen < kUnixPathOffset + kUnixPathMax ? h.namelen : kUnixPathOffset + kUnixPathMax;
    if (!user_writable(h.name, want)) return -EFAULT;
  }
  if (h.controllen > 0 && !user_writable(h.control, h.controllen)) return -EFAULT;
  // ___sys_recvmsg: msg_flags starts with the caller's MSG_CMSG_CLOEXEC.
  int msg_flags = flags & uapi::MSG_CMSG_CLOEXEC;
  UnixRecvAnc anc;
  long n = unix_recv(s, h.iov, h.iovlen, flags, &msg_flags, &anc);
  auto* out = static_cast<MsgHdr*>(msg);
  if (n < 0) {
    for (int i = 0; i < anc.nfds; ++i) anc.fds[i]->put();
    kfree(anc.fds);
    return n;
  }
  if (h.name != nullptr) {
    if (anc.has_from && anc.from.len > 0) {
      int len = static_cast<int>(h.namelen);
      unix_put_addr(h.name, &len, anc.from);
      out->namelen = static_cast<uint32_t>(len);
    } else {
      out->namelen = 0;
    }
  }
  out->controllen = write_control(h.control, h.controllen, &anc, flags, &msg_flags);
  out->flags = msg_flags;
  return n;
}

bool unix_sys_getsockopt(UnixSocket* s, int level, int name, void* optval, int* optlen, long* result) {
  if (level != uapi::SOL_SOCKET || name != uapi::SO_PEERCRED) return false;
  if (!user_writable(optlen, sizeof(int))) {
    *result = -EFAULT;
    return true;
  }
  int len = *optlen;
  if (len < 0) {
    *result = -EINVAL;
    return true;
  }
  if (len > static_cast<int>(sizeof(UnixCred))) len = sizeof(UnixCred);
  if (len > 0 && !user_writable(optval, static_cast<size_t>(len))) {
    *result = -EFAULT;
    return true;
  }
  memcpy(optval, &s->m_peer_cred, static_cast<size_t>(len));
  *optlen = len;
  *result = 0;
  return true;
}

bool unix_sys_setsockopt(UnixSocket* s, int level, int name, const void* optval, unsigned optlen, long* result) {
  if (level != uapi::SOL_SOCKET || name != uapi::SO_PASSCRED) return false;
  if (optlen < sizeof(int)) {
    *result = -EINVAL;
    return true;
  }
  if (!user_readable(optval, sizeof(int))) {
    *result = -EFAULT;
    return true;
  }
  int v;
  memcpy(&v, optval, sizeof(v));
  s->m_passcred = v != 0;
  *result = 0;
  return true;
}

}  // namespace libos::net
