// sendto, recvfrom, sendmsg, recvmsg. Streams only: destination addresses
// are ignored on a connected socket (as Linux TCP), received messages carry
// no source address (msg_namelen 0) and no ancillary data.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "fs/iovec.hpp"
#include "fs/linux_types.hpp"
#include "net/sock_fd.hpp"
#include "net/syscalls.hpp"

using namespace libos;
using namespace libos::net;

namespace {

// Linux's MAX_RW_COUNT.
constexpr size_t kMaxRw = 0x7ffff000;

struct MsgHdr {
  void* name;
  uint32_t namelen;
  uint32_t pad0;
  lx::Iovec* iov;
  size_t iovlen;
  void* control;
  size_t controllen;
  int32_t flags;
  int32_t pad1;
};
static_assert(sizeof(MsgHdr) == 56);

// Flags a stream send or receive may carry; others are accepted and ignored
// (MSG_MORE, MSG_EOR...), MSG_OOB is refused (no urgent data here).
long check_flags(int flags) { return (flags & kMsgOob) ? -EOPNOTSUPP : 0; }

long read_msghdr(const void* msg, MsgHdr* out, bool to_user) {
  if (!user_readable(msg, sizeof(MsgHdr))) return -EFAULT;
  memcpy(out, msg, sizeof(*out));
  if (static_cast<int32_t>(out->namelen) < 0) return -EINVAL;
  // A message's iovec count past UIO_MAXIOV is EMSGSIZE (readv says EINVAL).
  if (out->iovlen > static_cast<size_t>(lx::kIovMax)) return -EMSGSIZE;
  return fs::check_iov(out->iov, out->iovlen, to_user);
}

}  // namespace

long sys_sendto(int fd, const void* buf, size_t len, int flags, const void* addr, int addrlen) {
  (void)addr, (void)addrlen;
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (len > kMaxRw) len = kMaxRw;
  if (len > 0 && !user_readable(buf, len)) return -EFAULT;
  if (long err = check_flags(flags); err < 0) return err;
  SocketRef hold(s);
  return s->send(buf, len, flags);
}

long sys_recvfrom(int fd, void* buf, size_t len, int flags, void* addr, int* addrlen) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  if (len > kMaxRw) len = kMaxRw;
  if (len > 0 && !user_writable(buf, len)) return -EFAULT;
  if (flags & kMsgOob) return -EINVAL;  // no urgent data is ever pending
  SocketRef hold(s);
  long n = s->recv(buf, len, flags);
  if (n >= 0 && addr != nullptr) {
    // A stream has no per-message source: the length becomes 0.
    if (!user_writable(addrlen, sizeof(int))) return -EFAULT;
    if (*addrlen < 0) return -EINVAL;
    *addrlen = 0;
  }
  return n;
}

long sys_sendmsg(int fd, const void* msg, int flags) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  MsgHdr m;
  if (long err = read_msghdr(msg, &m, false); err < 0) return err;
  if (long err = check_flags(flags); err < 0) return err;
  SocketRef hold(s);
  long total = 0;
  for (size_t i = 0; i < m.iovlen; ++i) {
    if (m.iov[i].len == 0) continue;
    long n = s->send(m.iov[i].base, m.iov[i].len, flags);
    if (n < 0) return total > 0 ? total : n;
    total += n;
    if (static_cast<size_t>(n) < m.iov[i].len) break;
  }
  if (total == 0 && m.iovlen == 0) return s->send(nullptr, 0, flags);
  return total;
}

long sys_recvmsg(int fd, void* msg, int flags) {
  Socket* s = nullptr;
  if (long err = socket_of(fd, &s); err < 0) return err;
  MsgHdr m;
  if (long err = read_msghdr(msg, &m, true); err < 0) return err;
  if (flags & kMsgOob) return -EINVAL;
  if (!user_writable(msg, sizeof(MsgHdr))) return -EFAULT;
  SocketRef hold(s);
  long total = 0;
  bool peek = (flags & kMsgPeek) != 0;
  for (size_t i = 0; i < m.iovlen; ++i) {
    if (m.iov[i].len == 0) continue;
    // After the first bytes, take only what is there already (a stream
    // read returns what is available, it does not wait to fill every buffer).
    int f = total > 0 ? flags | kMsgDontwait : flags;
    long n = s->recv(m.iov[i].base, m.iov[i].len, f);
    if (n < 0) {
      if (total > 0) break;
      return n;
    }
    total += n;
    // A peek cannot look past the first buffer's bytes without consuming.
    if (n == 0 || static_cast<size_t>(n) < m.iov[i].len || peek) break;
  }
  if (total == 0 && m.iovlen == 0) total = s->recv(nullptr, 0, flags);
  if (total < 0) return total;
  auto* out = static_cast<MsgHdr*>(msg);
  if (m.name != nullptr) out->namelen = 0;
  out->controllen = 0;
  out->flags = 0;
  return total;
}
