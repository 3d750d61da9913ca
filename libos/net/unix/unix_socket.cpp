// AF_UNIX core: queues, send and receive, listen/accept, shutdown, poll,
// release. Linux's net/unix/af_unix.c is the oracle for every errno and
// readiness bit; the comments name the function each rule comes from.
#include "net/unix/unix_socket.hpp"

#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/alloc.hpp"
#include "vfs/vnode.hpp"
#include "vfs/wait.hpp"
#include "mm/kmalloc.hpp"
#include "sched/syscalls.hpp"
#include "uapi/ioctl.hpp"
#include "uapi/socket.hpp"

namespace libos::net {
namespace {

UnixSocket* g_live = nullptr;
UnixSocket* g_named = nullptr;
// References to AF_UNIX sockets in queued messages, all sockets together.
int g_inflight = 0;
bool g_in_gc = false;

// The AF_UNIX socket a passed description is, or nullptr.
UnixSocket* as_unix(fs::File* f) {
  if (f->kind() != fs::FileKind::socket) return nullptr;
  auto* s = static_cast<SocketFile*>(f);
  return s->family() == uapi::AF_UNIX ? static_cast<UnixSocket*>(s) : nullptr;
}

// A passed description enters or leaves a queue.
void inflight_add(fs::File* f, int delta) {
  if (UnixSocket* u = as_unix(f)) {
    u->m_inflight += delta;
    g_inflight += delta;
  }
}

// Linux's default sk_sndbuf for AF_UNIX (net.core.wmem_default): a stream
// writer waits while this much of its data sits unread in the peer's
// queue; a datagram past it minus 32 is EMSGSIZE.
constexpr size_t kUnixBuf = 212992;
// A stream write is queued in pieces of at most this, so a writer can
// fill the peer's buffer exactly and wait for the rest.
constexpr size_t kStreamPiece = 64u << 10;
// net.unix.max_dgram_qlen: datagrams queued for a receiver that is not
// connected back to the sender (Linux's unix_recvq_full is "> qlen").
constexpr int kDgramQlen = 10;

// Readiness changed: wake waiters and watchers of s, and of the socket that
// carries s as its transport.
void tell(UnixSocket* s, uint32_t events) {
  s->changed(events);
  if (s->m_owner != nullptr) s->m_owner->changed(events);
}

bool connection_type(int type) { return type == uapi::SOCK_STREAM || type == uapi::SOCK_SEQPACKET; }

void live_add(UnixSocket* s) {
  s->m_live_next = g_live;
  if (g_live != nullptr) g_live->m_live_prev = s;
  g_live = s;
}

void live_remove(UnixSocket* s) {
  if (s->m_live_prev != nullptr) s->m_live_prev->m_live_next = s->m_live_next;
  else g_live = s->m_live_next;
  if (s->m_live_next != nullptr) s->m_live_next->m_live_prev = s->m_live_prev;
  s->m_live_next = s->m_live_prev = nullptr;
}

void named_remove(UnixSocket* s) {
  if (!s->m_owns_name) return;
  if (s->m_named_prev != nullptr) s->m_named_prev->m_named_next = s->m_named_next;
  else g_named = s->m_named_next;
  if (s->m_named_next != nullptr) s->m_named_next->m_named_prev = s->m_named_prev;
  s->m_named_next = s->m_named_prev = nullptr;
  s->m_owns_name = false;
}

// Every m_peer change goes through here, so m_pointed_by stays true.
void set_peer(UnixSocket* s, UnixSocket* p) {
  if (s->m_peer == p) return;
  if (s->m_peer != nullptr) --s->m_peer->m_pointed_by;
  s->m_peer = p;
  if (p != nullptr) ++p->m_pointed_by;
}

void free_msg(UnixMsg* m) {
  for (int i = 0; i < m->nfds; ++i) inflight_add(m->fds[i], -1);
  for (int i = 0; i < m->nfds; ++i) m->fds[i]->put();
  kfree(m->fds);
  kfree(m);
}

void enqueue(UnixSocket* s, UnixMsg* m) {
  m->next = nullptr;
  if (s->m_tail != nullptr) s->m_tail->next = m;
  else s->m_head = m;
  s->m_tail = m;
  s->m_bytes += m->len;
  ++s->m_count;
}

void dequeue_head(UnixSocket* s) {
  UnixMsg* m = s->m_head;
  s->m_head = m->next;
  if (s->m_head == nullptr) s->m_tail = nullptr;
  s->m_bytes -= m->len - m->off;
  --s->m_count;
  free_msg(m);
}

// Copies len bytes at byte offset off of the iovecs into dst (or the reverse).
void iov_copy_out(const uapi::Iovec* iov, size_t iovlen, size_t off, void* dst, size_t len) {
  auto* out = static_cast<char*>(dst);
  for (size_t i = 0; i < iovlen && len > 0; ++i) {
    if (off >= iov[i].len) {
      off -= iov[i].len;
      continue;
    }
    size_t n = iov[i].len - off < len ? iov[i].len - off : len;
    memcpy(out, static_cast<const char*>(iov[i].base) + off, n);
    out += n;
    len -= n;
    off = 0;
  }
}

void iov_copy_in(const uapi::Iovec* iov, size_t iovlen, size_t off, const void* src, size_t len) {
  auto* in = static_cast<const char*>(src);
  for (size_t i = 0; i < iovlen && len > 0; ++i) {
    if (off >= iov[i].len) {
      off -= iov[i].len;
      continue;
    }
    size_t n = iov[i].len - off < len ? iov[i].len - off : len;
    memcpy(static_cast<char*>(iov[i].base) + off, in, n);
    in += n;
    len -= n;
    off = 0;
  }
}

// A message of len bytes taken from the iovecs at off, carrying the
// sender's passengers (moved out of anc) and credentials.
UnixMsg* build_msg(UnixSocket* from, const uapi::Iovec* iov, size_t iovlen, size_t off, size_t len,
                   UnixSendAnc* anc) {
  auto* m = static_cast<UnixMsg*>(kmalloc(sizeof(UnixMsg) + len));
  if (m == nullptr) return nullptr;
  m->next = nullptr;
  m->len = len;
  m->off = 0;
  m->fds = nullptr;
  m->nfds = 0;
  m->cred = (anc != nullptr && anc->has_cred) ? anc->cred : unix_self_cred();
  m->from = from->m_addr;
  if (anc != nullptr && anc->nfds > 0) {
    m->fds = static_cast<fs::File**>(kmalloc(sizeof(fs::File*) * static_cast<size_t>(anc->nfds)));
    if (m->fds == nullptr) {
      kfree(m);
      return nullptr;
    }
    memcpy(m->fds, anc->fds, sizeof(fs::File*) * static_cast<size_t>(anc->nfds));
    m->nfds = anc->nfds;
    for (int i = 0; i < m->nfds; ++i) inflight_add(m->fds[i], 1);
    anc->nfds = 0;  // the message owns them now
  }
  iov_copy_out(iov, iovlen, off, m->data, len);
  return m;
}

bool same_cred(const UnixCred& a, const UnixCred& b) { return a.pid == b.pid && a.uid == b.uid && a.gid == b.gid; }

bool would_block(const UnixSocket* s, int flags) { return s->nonblocking() || (flags & uapi::MSG_DONTWAIT) != 0; }

// Waits for any AF_UNIX change (the file layer's one queue: every change
// calls SocketFile::changed, which wakes it). 0, -EAGAIN (timed out), -EINTR.
long wait_change(uint64_t deadline) {
  long r = fs::fs_wait_interruptible(deadline);
  if (r < 0) return r;
  return r == 0 ? -EAGAIN : 0;
}

// Whether a datagram to target must wait (Linux unix_dgram_sendmsg: a
// receiver connected back to the sender is limited by bytes only, any other
// by its queue length).
bool dgram_full(const UnixSocket* s, const UnixSocket* target) {
  if (target->m_peer == s || target == s) return target->m_bytes >= kUnixBuf;
  return target->m_count > kDgramQlen;
}

long send_stream(UnixSocket* s, const uapi::Iovec* iov, size_t iovlen, int flags, UnixSendAnc* anc) {
  // unix_stream_sendmsg: no peer ENOTCONN, then SEND_SHUTDOWN EPIPE.
  if (s->m_state != UnixSocket::State::connected) return -ENOTCONN;
  size_t total = iov_total(iov, iovlen);
  size_t sent = 0;
  uint64_t deadline = fs::kNoDeadline;
  if (s->m_sndtimeo_ns != 0) deadline = fs::fs_deadline_after(s->m_sndtimeo_ns);
  while (sent < total) {
    UnixSocket* peer = s->m_peer;
    if ((s->m_shut & UnixSocket::kShutSend) || peer == nullptr || (peer->m_shut & UnixSocket::kShutRcv)) {
      // SIGPIPE only when nothing went (Linux pipe_err).
      if (sent > 0) return static_cast<long>(sent);
      return broken_pipe(flags);
    }
    if (peer->m_bytes >= kUnixBuf) {
      if (would_block(s, flags)) return sent > 0 ? static_cast<long>(sent) : -EAGAIN;
      long w = wait_change(deadline);
      if (w < 0) return sent > 0 ? static_cast<long>(sent) : w;
      continue;
    }
    size_t n = total - sent;
    if (n > kStreamPiece) n = kStreamPiece;
    UnixMsg* m = build_msg(s, iov, iovlen, sent, n, anc);
    if (m == nullptr) return sent > 0 ? static_cast<long>(sent) : -ENOMEM;
    enqueue(peer, m);
    sent += n;
    tell(peer, uapi::POLLIN | uapi::POLLRDNORM);
  }
  if (sent == 0 && (s->m_shut & UnixSocket::kShutSend)) return broken_pipe(flags);
  return static_cast<long>(sent);
}

long send_dgram(UnixSocket* s, const uapi::Iovec* iov, size_t iovlen, int flags, const UnixAddr* dest,
                UnixSendAnc* anc) {
  size_t len = iov_total(iov, iovlen);
  bool seqpacket = s->m_type == uapi::SOCK_SEQPACKET;
  if (seqpacket) {
    // unix_seqpacket_sendmsg: a connection, and the name is ignored.
    if (s->m_state != UnixSocket::State::connected) return -ENOTCONN;
    dest = nullptr;
  }
  if (len > kUnixBuf - 32) return -EMSGSIZE;
  uint64_t deadline = fs::kNoDeadline;
  if (s->m_sndtimeo_ns != 0) deadline = fs::fs_deadline_after(s->m_sndtimeo_ns);
  for (;;) {
    UnixSocket* target = nullptr;
    if (dest != nullptr) {
      if (long err = unix_find(*dest, s->m_type, &target); err < 0) return err;
    } else if (s->m_peer != nullptr) {
      target = s->m_peer;
    } else if (seqpacket) {
      return broken_pipe(flags);
    } else if (s->m_peer_died) {
      // unix_dgram_sendmsg: the connected peer is dead; the association goes.
      s->m_peer_died = false;
      s->m_state = UnixSocket::State::unconnected;
      return -ECONNREFUSED;
    } else {
      return -ENOTCONN;
    }
    if (s->m_shut & UnixSocket::kShutSend) return seqpacket ? broken_pipe(flags) : -EPIPE;
    // unix_may_send: a receiver connected elsewhere takes nothing from us.
    if (target->m_peer != nullptr && target->m_peer != s) return -EPERM;
    if (target->m_shut & UnixSocket::kShutRcv) return seqpacket ? broken_pipe(flags) : -EPIPE;
    if (dgram_full(s, target)) {
      if (would_block(s, flags)) return -EAGAIN;
      long w = wait_change(deadline);
      if (w < 0) return w;
      continue;  // the target may have gone meanwhile: look it up again
    }
    UnixMsg* m = build_msg(s, iov, iovlen, 0, len, anc);
    if (m == nullptr) return -ENOMEM;
    enqueue(target, m);
    tell(target, uapi::POLLIN | uapi::POLLRDNORM);
    return static_cast<long>(len);
  }
}

// The first message of a read gives the credentials (with SO_PASSCRED) and
// the sender's name.
void take_first(UnixSocket* s, UnixMsg* m, UnixRecvAnc* anc) {
  if (anc == nullptr) return;
  if (s->m_passcred) {
    anc->has_cred = true;
    anc->cred = m->cred;
  }
  anc->from = m->from;
  anc->has_from = true;
}

// Hands a message's descriptors to anc (the caller installs them); a peek
// gives new references and leaves them queued, as Linux's unix_peek_fds.
void take_fds(UnixMsg* m, bool peek, UnixRecvAnc* anc) {
  if (m->nfds == 0) return;
  if (anc == nullptr || anc->nfds > 0) return;
  if (peek) {
    anc->fds = static_cast<fs::File**>(kmalloc(sizeof(fs::File*) * static_cast<size_t>(m->nfds)));
    if (anc->fds == nullptr) return;
    for (int i = 0; i < m->nfds; ++i) {
      m->fds[i]->get();
      anc->fds[i] = m->fds[i];
    }
    anc->nfds = m->nfds;
    return;
  }
  for (int i = 0; i < m->nfds; ++i) inflight_add(m->fds[i], -1);
  anc->fds = m->fds;
  anc->nfds = m->nfds;
  m->fds = nullptr;
  m->nfds = 0;
}

// Wakes writers that wait for room in s's queue.
void room_made(UnixSocket* s) {
  if (s->m_peer != nullptr) tell(s->m_peer, uapi::POLLOUT | uapi::POLLWRNORM);
  else fs::fs_notify();
}

long recv_stream(UnixSocket* s, const uapi::Iovec* iov, size_t iovlen, int flags, UnixRecvAnc* anc) {
  // unix_stream_read_generic: only a connected socket reads.
  if (s->m_state != UnixSocket::State::connected) return -EINVAL;
  size_t want = iov_total(iov, iovlen);
  bool peek = (flags & uapi::MSG_PEEK) != 0;
  bool waitall = (flags & uapi::MSG_WAITALL) != 0 && !peek;
  size_t copied = 0;
  uint64_t deadline = fs::kNoDeadline;
  if (s->m_rcvtimeo_ns != 0) deadline = fs::fs_deadline_after(s->m_rcvtimeo_ns);
  for (;;) {
    if (s->m_head == nullptr) {
      if (copied > 0 && !waitall) break;
      if (s->m_err != 0) {
        if (copied > 0) break;
        return -s->take_error();
      }
      if (s->m_shut & UnixSocket::kShutRcv) break;
      if (would_block(s, flags)) return copied > 0 ? static_cast<long>(copied) : -EAGAIN;
      long w = wait_change(deadline);
      if (w < 0) return copied > 0 ? static_cast<long>(copied) : w;
      continue;
    }
    // Read from the head on; a peek walks without consuming.
    size_t before = copied;
    UnixMsg* m = s->m_head;
    while (m != nullptr && copied < want) {
      // unix_stream_read_generic: data of several writes is glued, but a
      // read ends after the message whose descriptors it takes (one set
      // per read), and, with SO_PASSCRED, before another writer's data.
      if (copied == 0) take_first(s, m, anc);
      else if (s->m_passcred && anc != nullptr && !same_cred(m->cred, anc->cred)) break;
      bool had_fds = m->nfds > 0;
      take_fds(m, peek, anc);
      size_t avail = m->len - m->off;
      size_t n = want - copied < avail ? want - copied : avail;
      iov_copy_in(iov, iovlen, copied, m->data + m->off, n);
      copied += n;
      if (peek) {
        if (had_fds) break;
        m = m->next;
        continue;
      }
      m->off += n;
      s->m_bytes -= n;
      if (m->off < m->len) break;
      UnixMsg* next = m->next;
      dequeue_head(s);  // subtracts the bytes left: none
      m = next;
      if (had_fds) break;
    }
    if (!peek && copied > before) room_made(s);
    if (peek || copied >= want || !waitall || copied == before) break;
  }
  return static_cast<long>(copied);
}

long recv_dgram(UnixSocket* s, const uapi::Iovec* iov, size_t iovlen, int flags, int* msg_flags,
                UnixRecvAnc* anc) {
  if (s->m_type == uapi::SOCK_SEQPACKET && s->m_state != UnixSocket::State::connected) {
    return s->m_state == UnixSocket::State::listening ? -EINVAL : -ENOTCONN;
  }
  uint64_t deadline = fs::kNoDeadline;
  if (s->m_rcvtimeo_ns != 0) deadline = fs::fs_deadline_after(s->m_rcvtimeo_ns);
  while (s->m_head == nullptr) {
    if (s->m_err != 0) return -s->take_error();
    if (s->m_shut & UnixSocket::kShutRcv) return 0;
    if (would_block(s, flags)) return -EAGAIN;
    long w = wait_change(deadline);
    if (w < 0) return w;
  }
  UnixMsg* m = s->m_head;
  bool peek = (flags & uapi::MSG_PEEK) != 0;
  size_t want = iov_total(iov, iovlen);
  size_t n = m->len < want ? m->len : want;
  iov_copy_in(iov, iovlen, 0, m->data, n);
  if (m->len > want) *msg_flags |= uapi::MSG_TRUNC;
  long result = (flags & uapi::MSG_TRUNC) ? static_cast<long>(m->len) : static_cast<long>(n);
  take_first(s, m, anc);
  take_fds(m, peek, anc);
  if (!peek) {
    dequeue_head(s);
    room_made(s);
  }
  return result;
}

// A connection's far end leaves: the stream or seqpacket survivor reads the
// rest then end of file and gets EPIPE on write (unix_release_sock sets
// SHUTDOWN_MASK, and ECONNRESET when data was left unread or the leaver was
// never accepted); a datagram survivor's next send says ECONNREFUSED.
void detach_one(UnixSocket* o, bool unread) {
  set_peer(o, nullptr);
  if (connection_type(o->m_type)) {
    o->m_shut = UnixSocket::kShutRcv | UnixSocket::kShutSend;
    if (unread) o->m_err = ECONNRESET;
  } else {
    o->m_peer_died = true;
  }
  tell(o, kPollAllEvents);
}

void detach_from(UnixSocket* gone) {
  bool unread = gone->m_head != nullptr || gone->m_embryo;
  if (gone->m_pointed_by == 0) return;
  // The usual case, a connection or a pair: only the mutual peer points here.
  UnixSocket* mutual = gone->m_peer;
  if (gone->m_pointed_by == 1 && mutual != nullptr && mutual->m_peer == gone) {
    detach_one(mutual, unread);
    return;
  }
  // Datagram senders connected to this one: find them all.
  for (UnixSocket* o = g_live; o != nullptr && gone->m_pointed_by > 0; o = o->m_live_next) {
    if (o->m_peer == gone) detach_one(o, unread);
  }
}

// ---- garbage collection (unix_gc) ----

enum : uint8_t { kGcNone = 0, kGcCandidate = 1, kGcReachable = 2 };

// Calls fn(t) for every AF_UNIX socket t passed in a message queued on s or
// on the connections waiting on s's backlog (those belong to s).
template <typename Fn>
void for_each_passed(UnixSocket* s, Fn fn) {
  for (UnixSocket* q = s; q != nullptr; q = q == s ? s->m_accept_head : q->m_accept_next) {
    for (UnixMsg* m = q->m_head; m != nullptr; m = m->next) {
      for (int i = 0; i < m->nfds; ++i) {
        if (UnixSocket* t = as_unix(m->fds[i])) fn(t);
      }
    }
  }
}

// Moves every message queued on s (and on its waiting connections) to *out.
void take_all_msgs(UnixSocket* s, UnixMsg** out) {
  for (UnixSocket* q = s; q != nullptr; q = q == s ? s->m_accept_head : q->m_accept_next) {
    while (q->m_head != nullptr) {
      UnixMsg* m = q->m_head;
      q->m_head = m->next;
      m->next = *out;
      *out = m;
    }
    q->m_tail = nullptr;
    q->m_bytes = 0;
    q->m_count = 0;
  }
}

}  // namespace

void unix_gc() {
  if (g_in_gc || g_inflight == 0) return;
  g_in_gc = true;
  // Candidates: sockets every reference of which sits in a queue (no
  // descriptor, no blocked call holds one).
  for (UnixSocket* s = g_live; s != nullptr; s = s->m_live_next) {
    bool candidate = s->m_inflight > 0 && s->m_refs == s->m_inflight;
    s->m_gc = candidate ? kGcCandidate : kGcNone;
    s->m_gc_refs = s->m_refs;
    s->m_gc_next = nullptr;
  }
  // References from candidates' queues do not keep a candidate alive.
  for (UnixSocket* s = g_live; s != nullptr; s = s->m_live_next) {
    if (s->m_gc != kGcCandidate) continue;
    for_each_passed(s, [](UnixSocket* t) {
      if (t->m_gc == kGcCandidate) --t->m_gc_refs;
    });
  }
  // A candidate still referenced from elsewhere is reachable, and so is
  // everything in its queues.
  UnixSocket* work = nullptr;
  for (UnixSocket* s = g_live; s != nullptr; s = s->m_live_next) {
    if (s->m_gc == kGcCandidate && s->m_gc_refs > 0) {
      s->m_gc = kGcReachable;
      s->m_gc_next = work;
      work = s;
    }
  }
  while (work != nullptr) {
    UnixSocket* r = work;
    work = r->m_gc_next;
    for_each_passed(r, [&work](UnixSocket* t) {
      if (t->m_gc != kGcCandidate) return;
      t->m_gc = kGcReachable;
      t->m_gc_next = work;
      work = t;
    });
  }
  // The rest is garbage: empty their queues first (no list is walked while
  // sockets are freed), then free the messages, which drops the last
  // references and releases the sockets.
  UnixMsg* dead = nullptr;
  for (UnixSocket* s = g_live; s != nullptr; s = s->m_live_next) {
    if (s->m_gc == kGcCandidate) take_all_msgs(s, &dead);
  }
  while (dead != nullptr) {
    UnixMsg* m = dead;
    dead = m->next;
    free_msg(m);
  }
  g_in_gc = false;
}

int UnixSocket::family() const { return uapi::AF_UNIX; }

UnixSocket* unix_first_named() { return g_named; }

void unix_name_taken(UnixSocket* s) {
  s->m_owns_name = true;
  s->m_named_prev = nullptr;
  s->m_named_next = g_named;
  if (g_named != nullptr) g_named->m_named_prev = s;
  g_named = s;
}

UnixCred unix_self_cred() {
  // One process: pid as getpid, uid and gid 0 (syscalls/identity.cpp).
  UnixCred c;
  c.pid = static_cast<int32_t>(sys_getpid());
  c.uid = 0;
  c.gid = 0;
  return c;
}

long unix_create(int type, int flags, UnixSocket** out) {
  unix_gc();
  UnixSocket* s = fs::make<UnixSocket>();
  if (s == nullptr) return -ENOMEM;
  s->m_type = type;
  s->m_flags = uapi::O_RDWR | (flags & uapi::SOCK_NONBLOCK ? uapi::O_NONBLOCK : 0);
  s->m_rcvbuf = s->m_sndbuf = static_cast<int>(kUnixBuf);
  live_add(s);
  *out = s;
  return 0;
}

long unix_pair(int type, int flags, UnixSocket** a, UnixSocket** b) {
  UnixSocket* x = nullptr;
  UnixSocket* y = nullptr;
  if (long err = unix_create(type, flags, &x); err < 0) return err;
  if (long err = unix_create(type, flags, &y); err < 0) {
    x->put();
    return err;
  }
  set_peer(x, y);
  set_peer(y, x);
  x->m_state = y->m_state = UnixSocket::State::connected;
  x->m_peer_cred = y->m_peer_cred = unix_self_cred();
  *a = x;
  *b = y;
  return 0;
}

long unix_send(UnixSocket* s, const uapi::Iovec* iov, size_t iovlen, int flags, const UnixAddr* dest,
               UnixSendAnc* anc) {
  if (flags & uapi::MSG_OOB) return -EOPNOTSUPP;
  long r;
  if (s->m_type == uapi::SOCK_STREAM) {
    // unix_stream_sendmsg: a name on a stream is EISCONN or EOPNOTSUPP.
    if (dest != nullptr) r = s->m_state == UnixSocket::State::connected ? -EISCONN : -EOPNOTSUPP;
    else r = send_stream(s, iov, iovlen, flags, anc);
  } else {
    r = send_dgram(s, iov, iovlen, flags, dest, anc);
  }
  // Passengers not taken by a message go back.
  if (anc != nullptr) {
    for (int i = 0; i < anc->nfds; ++i) anc->fds[i]->put();
    anc->nfds = 0;
  }
  return r;
}

long unix_recv(UnixSocket* s, const uapi::Iovec* iov, size_t iovlen, int flags, int* msg_flags, UnixRecvAnc* anc) {
  if (flags & uapi::MSG_OOB) return -EOPNOTSUPP;
  if (s->m_type == uapi::SOCK_STREAM) return recv_stream(s, iov, iovlen, flags, anc);
  return recv_dgram(s, iov, iovlen, flags, msg_flags, anc);
}

long UnixSocket::sendmsg(SockMsg* msg, int flags) {
  return unix_send(this, msg->iov, msg->iovlen, flags, nullptr, nullptr);
}

long UnixSocket::recvmsg(SockMsg* msg, int flags) {
  UnixRecvAnc anc;
  long r = unix_recv(this, msg->iov, msg->iovlen, flags, &msg->out_flags, &anc);
  // read(2) has nowhere to put descriptors: they are closed, as Linux does.
  for (int i = 0; i < anc.nfds; ++i) anc.fds[i]->put();
  kfree(anc.fds);
  return r;
}

long UnixSocket::listen(int backlog) {
  // unix_listen: streams and seqpackets only, bound, not connected.
  if (!connection_type(m_type)) return -EOPNOTSUPP;
  if (m_addr.len == 0) return -EINVAL;
  if (m_state == State::connected) return -EINVAL;
  if (backlog < 0) backlog = 0;
  if (backlog > uapi::SOMAXCONN) backlog = uapi::SOMAXCONN;
  m_backlog = backlog;
  m_peer_cred = unix_self_cred();
  if (m_state != State::listening) {
    m_state = State::listening;
    fs::fs_notify();  // connectors waiting on a full backlog re-check
  }
  return 0;
}

long UnixSocket::accept(int flags, SocketFile** out) {
  if (!connection_type(m_type)) return -EOPNOTSUPP;
  if (m_state != State::listening) return -EINVAL;
  uint64_t deadline = fs::kNoDeadline;
  if (m_rcvtimeo_ns != 0) deadline = fs::fs_deadline_after(m_rcvtimeo_ns);
  while (m_accept_head == nullptr) {
    if (nonblocking()) return -EAGAIN;
    long w = wait_change(deadline);
    if (w < 0) return w;
    if (m_state != State::listening) return -EINVAL;
  }
  UnixSocket* c = m_accept_head;
  m_accept_head = c->m_accept_next;
  if (m_accept_head == nullptr) m_accept_tail = nullptr;
  c->m_accept_next = nullptr;
  c->m_embryo = false;
  --m_pending;
  c->m_flags = uapi::O_RDWR | ((flags & uapi::SOCK_NONBLOCK) ? uapi::O_NONBLOCK : 0);
  fs::fs_notify();  // a connector may wait for backlog room
  *out = c;
  return 0;
}

long unix_connect(UnixSocket* s, const UnixAddr& a) {
  if (!connection_type(s->m_type)) {
    // unix_dgram_connect: AF_UNSPEC (len 0 here) dissolves the association.
    if (a.len == 0) {
      set_peer(s, nullptr);
      s->m_peer_died = false;
      s->m_state = UnixSocket::State::unconnected;
      return 0;
    }
    UnixSocket* target = nullptr;
    if (long err = unix_find(a, s->m_type, &target); err < 0) return err;
    if (target->m_peer != nullptr && target->m_peer != s && target != s) return -EPERM;
    set_peer(s, target);
    s->m_peer_died = false;
    s->m_peer_addr = target->m_addr;
    s->m_peer_cred = unix_self_cred();
    s->m_state = UnixSocket::State::connected;
    return 0;
  }
  if (s->m_state == UnixSocket::State::connected) return -EISCONN;
  if (s->m_state == UnixSocket::State::listening) return -EINVAL;
  uint64_t deadline = fs::kNoDeadline;
  if (s->m_sndtimeo_ns != 0) deadline = fs::fs_deadline_after(s->m_sndtimeo_ns);
  for (;;) {
    UnixSocket* l = nullptr;
    if (long err = unix_find(a, s->m_type, &l); err < 0) return err;
    if (l->m_state != UnixSocket::State::listening) return -ECONNREFUSED;
    if (l->m_shut & UnixSocket::kShutRcv) return -ECONNREFUSED;
    // unix_recvq_full: more than the backlog waiting.
    if (l->m_pending > l->m_backlog) {
      if (s->nonblocking()) return -EAGAIN;
      long w = wait_change(deadline);
      if (w < 0) return w == -EAGAIN ? -ETIMEDOUT : w;
      if (s->m_state == UnixSocket::State::connected) return -EISCONN;
      continue;
    }
    UnixSocket* c = nullptr;
    if (long err = unix_create(s->m_type, 0, &c); err < 0) return err;
    c->m_embryo = true;
    c->m_state = UnixSocket::State::connected;
    set_peer(c, s);
    c->m_addr = l->m_addr;
    c->m_peer_addr = s->m_addr;
    c->m_peer_cred = unix_self_cred();
    c->m_passcred = l->m_passcred;
    set_peer(s, c);
    s->m_peer_addr = l->m_addr;
    s->m_peer_cred = l->m_peer_cred;
    s->m_state = UnixSocket::State::connected;
    if (l->m_accept_tail != nullptr) l->m_accept_tail->m_accept_next = c;
    else l->m_accept_head = c;
    l->m_accept_tail = c;
    ++l->m_pending;
    tell(l, uapi::POLLIN | uapi::POLLRDNORM);
    return 0;
  }
}

long UnixSocket::shutdown(int how) {
  // unix_shutdown: SHUT_RD..SHUT_RDWR map to the bits; an unconnected
  // socket just records them. A connection's peer sees the mirror.
  if (how < uapi::SHUT_RD || how > uapi::SHUT_RDWR) return -EINVAL;
  int mode = (how + 1) & (kShutRcv | kShutSend);
  m_shut |= mode;
  tell(this, kPollAllEvents);
  UnixSocket* peer = m_peer;
  if (peer != nullptr && connection_type(m_type)) {
    int peer_mode = 0;
    if (mode & kShutRcv) peer_mode |= kShutSend;
    if (mode & kShutSend) peer_mode |= kShutRcv;
    peer->m_shut |= peer_mode;
    tell(peer, kPollAllEvents);
  }
  return 0;
}

int16_t UnixSocket::poll(int16_t events) {
  int ready = 0;
  if (m_err != 0) ready |= uapi::POLLERR;
  if (m_shut == (kShutRcv | kShutSend)) ready |= uapi::POLLHUP;
  if (m_shut & kShutRcv) ready |= uapi::POLLRDHUP | uapi::POLLIN | uapi::POLLRDNORM;
  if (m_head != nullptr || (m_state == State::listening && m_accept_head != nullptr)) {
    ready |= uapi::POLLIN | uapi::POLLRDNORM;
  }
  if (connection_type(m_type)) {
    // unix_poll: an unconnected connection socket is hung up.
    if (m_state == State::unconnected) ready |= uapi::POLLHUP;
    bool writable = m_state != State::listening && (m_peer == nullptr || m_peer->m_bytes < kUnixBuf);
    if (writable) ready |= uapi::POLLOUT | uapi::POLLWRNORM;
  } else {
    // unix_dgram_poll: writable unless the connected receiver is full.
    bool writable = m_peer == nullptr || !dgram_full(this, m_peer);
    if (writable) ready |= uapi::POLLOUT | uapi::POLLWRNORM;
  }
  // POLLHUP, POLLERR and POLLRDHUP only when asked, like the others in events.
  int always = uapi::POLLHUP | uapi::POLLERR;
  return static_cast<int16_t>(ready & (events | always));
}

long UnixSocket::ioctl(unsigned long request, unsigned long arg) {
  if (request == uapi::FIOASYNC) {
    // nginx sets it on its socketpair channels. The flag is kept (F_GETFL
    // shows it) but no SIGIO is ever sent: one process, nobody to tell.
    const int* on = reinterpret_cast<const int*>(arg);
    if (!user_readable(on, sizeof(*on))) return -EFAULT;
    if (*on) m_flags |= uapi::O_ASYNC; else m_flags &= ~uapi::O_ASYNC;
    return 0;
  }
  if (request == uapi::FIONREAD || request == uapi::TIOCOUTQ) {
    int v = 0;
    if (request == uapi::FIONREAD) {
      if (m_state == State::listening) return -EINVAL;
      // Streams: every unread byte; datagrams: the next datagram's size.
      if (m_type == uapi::SOCK_STREAM) v = static_cast<int>(m_bytes);
      else if (m_head != nullptr) v = static_cast<int>(m_head->len);
    } else if (m_peer != nullptr) {
      v = static_cast<int>(m_peer->m_bytes);
    }
    auto* out = reinterpret_cast<int*>(arg);
    *out = v;
    return 0;
  }
  return -ENOTTY;
}

bool UnixSocket::option_value(int level, int name, int* value) const {
  if (level != uapi::SOL_SOCKET) return false;
  switch (name) {
    case uapi::SO_DOMAIN: *value = uapi::AF_UNIX; return true;
    case uapi::SO_PASSCRED: *value = m_passcred; return true;
    default: return false;
  }
}

void UnixSocket::release() {
  live_remove(this);
  named_remove(this);
  detach_from(this);
  set_peer(this, nullptr);
  // Connections nobody accepted go with their listener (their connectors
  // see ECONNRESET, as embryos in Linux).
  while (m_accept_head != nullptr) {
    UnixSocket* c = m_accept_head;
    m_accept_head = c->m_accept_next;
    c->m_accept_next = nullptr;
    c->put();
  }
  while (m_head != nullptr) dequeue_head(this);
  if (m_node != nullptr) m_node->unref();
  m_node = nullptr;
  fs::fs_notify();
  fs::destroy(this);
  unix_gc();  // this socket may have been what kept a cycle reachable
}

bool unix_listening() {
  for (UnixSocket* s = g_live; s != nullptr; s = s->m_live_next) {
    if (s->m_state == UnixSocket::State::listening) return true;
  }
  return false;
}

}  // namespace libos::net
