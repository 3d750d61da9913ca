// The system-call face of a TCP socket: blocking, timeouts, signals and
// Linux's error rules around the non-blocking calls of inet::TcpSocket.
#include "net/inet_tcp_socket.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "core/uaccess.hpp"
#include "vfs/alloc.hpp"
#include "net/inet_msg.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/ioctl.hpp"
#include "uapi/poll.hpp"
#include "uapi/uio.hpp"
#include "uapi/socket.hpp"
#include "uapi/tcp.hpp"

namespace libos::net {
namespace {

using inet::TcpState;

// A peek over several buffers goes through one contiguous copy of at most
// this many bytes (Linux peeks what is queued; a program peeks headers).
constexpr size_t kPeekMax = 65536;

InetTcpSocket* wrap(inet::TcpSocket* tcp, int flags) {
  InetTcpSocket* s = fs::make<InetTcpSocket>();
  if (s == nullptr) return nullptr;
  s->m_flags = uapi::O_RDWR | (flags & uapi::SOCK_NONBLOCK ? uapi::O_NONBLOCK : 0);
  s->m_tcp = tcp;
  tcp->set_events(s);
  return s;
}

}  // namespace

long inet_tcp_create(inet::Stack& stack, int flags, SocketFile** out) {
  inet::TcpSocket* tcp = inet::TcpSocket::create(stack);
  if (tcp == nullptr) return -ENOMEM;
  InetTcpSocket* s = wrap(tcp, flags);
  if (s == nullptr) {
    tcp->close();
    return -ENOMEM;
  }
  // m_rcvbuf/m_sndbuf keep Linux's defaults (what SO_RCVBUF/SO_SNDBUF
  // report); the stack sizes its rings itself until the program sets them.
  *out = s;
  return 0;
}

void InetTcpSocket::release() {
  // The stack keeps the connection until it ends (FIN_WAIT, TIME_WAIT) and
  // frees the TcpSocket itself; nothing may call back into this object.
  m_tcp->set_events(nullptr);
  m_tcp->close();
  m_tcp = nullptr;
  fs::destroy(this);
}

bool InetTcpSocket::handshaking() const {
  TcpState st = m_tcp->state();
  return st == TcpState::syn_sent || st == TcpState::syn_recv;
}

int16_t InetTcpSocket::poll(int16_t events) {
  uint32_t bits = m_tcp->poll();
  // A socket whose connect failed is as new (Linux's tcp_disconnect clears
  // the shutdown that made it readable): POLLOUT|POLLHUP only.
  if (m_conn == Conn::unconnected && !m_tcp->listening()) {
    bits &= ~static_cast<uint32_t>(uapi::POLLIN | uapi::POLLRDNORM | uapi::POLLRDHUP);
  }
  return static_cast<int16_t>(bits & (static_cast<uint16_t>(events) | uapi::POLLHUP | uapi::POLLERR));
}

long InetTcpSocket::ioctl(unsigned long request, unsigned long arg) {
  if (request != uapi::FIONREAD && request != uapi::TIOCOUTQ) return -ENOTTY;
  auto* out = reinterpret_cast<int*>(arg);
  if (!user_writable(out, sizeof(int))) return -EFAULT;
  if (m_tcp->listening()) return -EINVAL;
  size_t n = request == uapi::FIONREAD ? m_tcp->readable() : m_tcp->unsent();
  *out = n > 0x7fffffff ? 0x7fffffff : static_cast<int>(n);
  return 0;
}

long InetTcpSocket::bind(uint32_t ip, uint16_t port) { return m_tcp->bind(ip, port); }

long InetTcpSocket::listen(int backlog) {
  if (m_conn != Conn::unconnected && !m_tcp->listening()) return -EINVAL;
  if (backlog < 0) backlog = 0;
  if (backlog > uapi::SOMAXCONN) backlog = uapi::SOMAXCONN;
  return m_tcp->listen(backlog);
}

long InetTcpSocket::accept(int flags, SocketFile** out) {
  if (!m_tcp->listening()) return -EINVAL;
  uint64_t until = deadline(m_rcvtimeo_ns);
  for (;;) {
    long err = 0;
    inet::TcpSocket* conn = m_tcp->accept(&err);
    if (conn != nullptr) {
      InetTcpSocket* s = wrap(conn, flags);
      if (s == nullptr) {
        conn->close();
        return -ENOMEM;
      }
      // The new socket inherits the listener's options, as Linux's clone
      // of the listening sock does (the stack copied its own sizes).
      s->m_reuseaddr = m_reuseaddr;
      s->m_reuseport = m_reuseport;
      s->m_keepalive = m_keepalive;
      s->m_nodelay = m_nodelay;
      s->m_cork = m_cork;
      s->m_broadcast = m_broadcast;
      s->m_rcvbuf = m_rcvbuf;
      s->m_sndbuf = m_sndbuf;
      s->m_linger_on = m_linger_on;
      s->m_linger_secs = m_linger_secs;
      s->m_keepidle = m_keepidle;
      s->m_keepintvl = m_keepintvl;
      s->m_keepcnt = m_keepcnt;
      s->m_user_mss = m_user_mss;
      s->m_rcvtimeo_ns = m_rcvtimeo_ns;
      s->m_sndtimeo_ns = m_sndtimeo_ns;
      s->m_conn = Conn::connected;
      *out = s;
      return 0;
    }
    if (err != -EAGAIN) return err;
    if (nonblocking()) return -EAGAIN;
    if (long w = wait(until); w < 0) return w;
    if (!m_tcp->listening()) return -EINVAL;  // shut down meanwhile
  }
}

// Linux __inet_stream_connect, in the terms of this socket.
long InetTcpSocket::connect(int family, uint32_t ip, uint16_t port) {
  if (family != uapi::AF_INET) {
    // AF_UNSPEC asks Linux to disconnect; only the no-op case is supported.
    return m_conn == Conn::unconnected && !m_tcp->listening() ? 0 : -EOPNOTSUPP;
  }
  switch (m_conn) {
    case Conn::connected:
      return -EISCONN;
    case Conn::connecting:
      if (handshaking() && nonblocking()) return -EALREADY;
      break;
    case Conn::unconnected: {
      if (m_tcp->listening()) return -EISCONN;
      long r = m_tcp->connect(ip, port);
      if (r != -EINPROGRESS && r != 0) return r;
      m_conn = Conn::connecting;
      if (nonblocking()) return -EINPROGRESS;
      break;
    }
  }
  return wait_connected();
}

long InetTcpSocket::wait_connected() {
  uint64_t until = deadline(m_sndtimeo_ns);
  while (handshaking()) {
    long err = wait(until);
    // Interrupted or timed out: the attempt goes on, as on Linux.
    if (err == -EAGAIN) return -EINPROGRESS;
    if (err < 0) return err;
  }
  if (m_tcp->state() == TcpState::closed) {
    // Refused, reset, timed out or unreachable: reported once, then the
    // socket is unconnected again (Linux disconnects it).
    m_conn = Conn::unconnected;
    int err = m_tcp->take_error();
    return -(err != 0 ? err : static_cast<int>(ECONNABORTED));
  }
  m_conn = Conn::connected;
  return 0;
}

long InetTcpSocket::shutdown(int how) {
  if (how < uapi::SHUT_RD || how > uapi::SHUT_RDWR) return -EINVAL;
  long r = m_tcp->shutdown(how);
  // Threads blocked in this socket re-check (a SHUT_RD ends a blocked recv).
  if (r == 0) changed(kPollAllEvents);
  return r;
}

// tcp_sendmsg: everything is queued before returning, unless non-blocking,
// timed out or interrupted (then the bytes queued so far count).
long InetTcpSocket::sendmsg(SockMsg* msg, int flags) {
  bool nonblock = nonblocking() || (flags & uapi::MSG_DONTWAIT) != 0;
  uint64_t until = deadline(m_sndtimeo_ns);
  IovCursor cur(msg->iov, msg->iovlen);
  long done = 0;
  for (;;) {
    long n;
    if (cur.done()) {
      if (done > 0) return done;
      n = m_tcp->send(nullptr, 0, (flags & uapi::MSG_MORE) != 0);  // errors, EPIPE
      if (n >= 0) return 0;
    } else {
      size_t len = cur.len();
      // A buffer of a gathered message is not the end of what the program
      // sends: hold a partial segment for the next (Linux sends the message
      // as one).
      bool more = (flags & uapi::MSG_MORE) != 0 || cur.more_after(len);
      n = m_tcp->send(cur.ptr(), len, more);
      if (n > 0) {
        done += n;
        cur.advance(static_cast<size_t>(n));
        if (cur.done()) return done;
        continue;
      }
    }
    bool connecting = n == -ENOTCONN && handshaking();
    if (n == -EAGAIN || n == 0 || connecting) {
      if (nonblock) return done > 0 ? done : -EAGAIN;
      if (long w = wait(until); w < 0) return done > 0 ? done : w;
      continue;
    }
    if (done > 0) return done;
    // Never connected, listening, or shut for writing: EPIPE with SIGPIPE
    // (Linux sk_stream_wait_connect / sk_stream_error).
    if (n == -EPIPE || n == -ENOTCONN) return broken_pipe(flags);
    return n;
  }
}

namespace {

// Where sendfile's bytes come from: the input file from off on.
struct FileSource {
  fs::File* in;
  uint64_t off;
  bool eof = false;
  long err = 0;
};

long fill_from_file(void* ctx, void* dst, size_t n) {
  auto* src = static_cast<FileSource*>(ctx);
  long r = src->in->pread(dst, n, src->off);
  if (r > 0) src->off += static_cast<uint64_t>(r);
  else if (r == 0) src->eof = true;
  else src->err = r;
  return r;
}

}  // namespace

// sendfile into the connection: the file's bytes go straight into the send
// ring (one copy, as read+write's second copy), in whole segments: every
// chunk but the last says "more follows", so no partial segment leaves
// between two chunks. Blocking, timeouts and errors as sendmsg.
long InetTcpSocket::write_from(fs::File* in, uint64_t off, size_t count) {
  bool nonblock = nonblocking();
  uint64_t until = deadline(m_sndtimeo_ns);
  FileSource src{in, off};
  size_t done = 0;
  while (done < count) {
    long n = m_tcp->send_fill(count - done, true, fill_from_file, &src);
    if (n > 0) {
      done += static_cast<size_t>(n);
      if (src.eof || src.err != 0) break;
      continue;
    }
    if (src.eof) break;
    if (src.err != 0) return done > 0 ? static_cast<long>(done) : src.err;
    bool connecting = n == -ENOTCONN && handshaking();
    if (n == -EAGAIN || n == 0 || connecting) {
      if (nonblock) break;
      if (long w = wait(until); w < 0) {
        if (done > 0) break;
        return w;
      }
      continue;
    }
    if (done > 0) break;
    if (n == -EPIPE || n == -ENOTCONN) return broken_pipe(0);
    return n;
  }
  // The call ends here: let the tail go (Nagle and cork still apply).
  m_tcp->push();
  if (done == 0 && nonblock && !src.eof) return -EAGAIN;
  return static_cast<long>(done);
}

// tcp_recvmsg: waits for the first bytes (or all of them with MSG_WAITALL),
// then takes what is there into every buffer.
long InetTcpSocket::recvmsg(SockMsg* msg, int flags) {
  if (m_tcp->listening()) return -ENOTCONN;
  // Never connected, or disconnected by a failed connect: Linux's
  // tcp_recvmsg on TCP_CLOSE.
  if (m_conn == Conn::unconnected) return -ENOTCONN;
  bool peek = (flags & uapi::MSG_PEEK) != 0;
  if (peek && iov_pieces(msg->iov, msg->iovlen) > 1) return recv_peek_scattered(msg, flags);
  bool nonblock = nonblocking() || (flags & uapi::MSG_DONTWAIT) != 0;
  bool waitall = (flags & uapi::MSG_WAITALL) != 0 && !peek;
  uint64_t until = deadline(m_rcvtimeo_ns);
  IovCursor cur(msg->iov, msg->iovlen);
  long done = 0;
  while (!cur.done()) {
    long n = m_tcp->recv(cur.ptr(), cur.len(), peek);
    if (n > 0) {
      done += n;
      if (peek) return done;
      cur.advance(static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return done;  // end of stream
    bool connecting = n == -ENOTCONN && handshaking();
    if (n != -EAGAIN && !connecting) return done > 0 ? done : n;
    if (done > 0 && !waitall) return done;
    if (nonblock) return done > 0 ? done : -EAGAIN;
    if (long w = wait(until); w < 0) return done > 0 ? done : w;
  }
  return done;
}

long InetTcpSocket::recv_peek_scattered(SockMsg* msg, int flags) {
  size_t total = iov_total(msg->iov, msg->iovlen);
  size_t cap = total < kPeekMax ? total : kPeekMax;
  auto* bounce = static_cast<uint8_t*>(kmalloc(cap));
  if (bounce == nullptr) return -ENOMEM;
  uapi::Iovec one{bounce, cap};
  SockMsg single;
  single.iov = &one;
  single.iovlen = 1;
  long n = recvmsg(&single, flags);
  if (n > 0) iov_scatter(msg->iov, msg->iovlen, bounce, static_cast<size_t>(n));
  kfree(bounce);
  return n;
}

Endpoint InetTcpSocket::local_name() const { return Endpoint{m_tcp->local_ip(), m_tcp->local_port()}; }

// Linux inet_getname: no peer before the handshake, or once closed.
bool InetTcpSocket::peer_name(Endpoint* out) const {
  TcpState st = m_tcp->state();
  if (m_tcp->peer_port() == 0 || st == TcpState::closed || st == TcpState::syn_sent) return false;
  *out = Endpoint{m_tcp->peer_ip(), m_tcp->peer_port()};
  return true;
}

long InetTcpSocket::options_changed(int level, int name) {
  // The family's peers (sys_socket at creation, then IPV6_V6ONLY): an
  // AF_INET listener does not take ::1, a v6-only one takes nothing else.
  if ((level == uapi::SOL_SOCKET && name == uapi::SO_DOMAIN) ||
      (level == uapi::IPPROTO_IPV6 && name == uapi::IPV6_V6ONLY)) {
    using F = inet::TcpSocket::Family;
    return m_tcp->set_family(!m_inet6 ? F::ipv4_only : m_v6only ? F::ipv6_only : F::any);
  }
  if (level == uapi::SOL_SOCKET) {
    switch (name) {
      case uapi::SO_REUSEADDR: m_tcp->set_reuseaddr(m_reuseaddr); break;
      case uapi::SO_KEEPALIVE: m_tcp->set_keepalive(m_keepalive); break;
      // The stack doubles and clamps as Linux; sockopt.cpp stored the
      // doubled value, so it gets the program's (clamped) one back.
      case uapi::SO_RCVBUF:
      case uapi::SO_RCVBUFFORCE: m_tcp->set_rcvbuf(m_rcvbuf / 2); break;
      case uapi::SO_SNDBUF:
      case uapi::SO_SNDBUFFORCE: m_tcp->set_sndbuf(m_sndbuf / 2); break;
      case uapi::SO_LINGER: m_tcp->set_linger(m_linger_on != 0, m_linger_secs); break;
      default: break;
    }
    return 0;
  }
  switch (name) {
    case uapi::TCP_NODELAY: m_tcp->set_nodelay(m_nodelay); break;
    case uapi::TCP_CORK: m_tcp->set_cork(m_cork); break;
    case uapi::TCP_KEEPIDLE:
    case uapi::TCP_KEEPINTVL:
    case uapi::TCP_KEEPCNT:
      m_tcp->set_keepalive_params(static_cast<uint32_t>(m_keepidle), static_cast<uint32_t>(m_keepintvl),
                                  static_cast<uint32_t>(m_keepcnt));
      break;
    default: break;
  }
  return 0;
}

bool InetTcpSocket::option_value(int level, int name, int* value) const {
  // SO_RCVBUF/SO_SNDBUF: what Linux reports (its tcp_rmem/tcp_wmem defaults,
  // or the program's value doubled and floored), stored by sockopt.cpp; the
  // stack's rings are sized from it within their own bounds.
  if (level == uapi::SOL_SOCKET) return false;
  if (name == uapi::TCP_MAXSEG) {
    // Linux: the MSS in use, or the program's before the connection has one.
    TcpState st = m_tcp->state();
    bool idle = st == TcpState::closed || st == TcpState::listen;
    *value = m_user_mss != 0 && idle ? m_user_mss : m_tcp->maxseg();
    return true;
  }
  return false;
}

}  // namespace libos::net
