// What every socket shares, whatever its transport: the File calls in terms
// of sendmsg/recvmsg, fstat, waiting and waking, the live count.
#include "net/socket/socket_base.hpp"

#include "core/klib.hpp"
#include "vfs/wait.hpp"
#include "sched/thread.hpp"
#include "sched/signal_state.hpp"
#include "uapi/stat.hpp"
#include "uapi/uio.hpp"
#include "uapi/socket.hpp"
#include "uapi/signal.hpp"

namespace libos::net {
namespace {


uint64_t g_next_ino = 1;
int g_live = 0;

}  // namespace

SocketFile::SocketFile() {
  m_ino = g_next_ino++;
  ++g_live;
}

SocketFile::~SocketFile() { --g_live; }

int socket_count() { return g_live; }

long broken_pipe(int flags) {
  if ((flags & uapi::MSG_NOSIGNAL) == 0) signal_post(uapi::SIGPIPE, uapi::SI_USER, sched::current());
  return -EPIPE;
}

size_t iov_total(const uapi::Iovec* iov, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += iov[i].len;
  return total;
}

// Linux sock_read_iter: a read of nothing is 0 before the protocol is asked
// (recv(fd, buf, 0, 0) does ask it, and may say ENOTCONN).
long SocketFile::read(void* buf, size_t len) {
  if (len == 0) return 0;
  uapi::Iovec iov{buf, len};
  SockMsg msg;
  msg.iov = &iov;
  msg.iovlen = 1;
  return recvmsg(&msg, 0);
}

long SocketFile::write(const void* buf, size_t len) {
  uapi::Iovec iov{const_cast<void*>(buf), len};
  SockMsg msg;
  msg.iov = &iov;
  msg.iovlen = 1;
  return sendmsg(&msg, 0);
}

long SocketFile::readv(const uapi::Iovec* iov, int count) {
  if (iov_total(iov, static_cast<size_t>(count)) == 0) return 0;
  SockMsg msg;
  msg.iov = iov;
  msg.iovlen = static_cast<size_t>(count);
  return recvmsg(&msg, 0);
}

long SocketFile::writev(const uapi::Iovec* iov, int count) {
  SockMsg msg;
  msg.iov = iov;
  msg.iovlen = static_cast<size_t>(count);
  return sendmsg(&msg, 0);
}

long SocketFile::fstat(uapi::Stat* st) {
  memset(st, 0, sizeof(*st));
  st->dev = 0x8;  // sockfs
  st->ino = m_ino;
  st->nlink = 1;
  st->mode = uapi::S_IFSOCK | 0777;
  st->blksize = 4096;
  return 0;
}

void SocketFile::changed(uint32_t events) {
  m_waiters.wake_all();
  notify(events);
  fs::fs_notify();  // poll() and select() sleep on the file layer's queue
}

uint64_t SocketFile::deadline(uint64_t timeout_ns) const {
  return timeout_ns == 0 ? fs::kNoDeadline : fs::fs_deadline_after(timeout_ns);
}

long SocketFile::wait(uint64_t deadline) {
  long r = m_waiters.wait(deadline);
  if (r < 0) return r;
  return r == 0 ? -EAGAIN : 0;
}

}  // namespace libos::net
