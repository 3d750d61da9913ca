// The socket API of TCP (what libos/net calls): non-blocking, Linux's
// return values and errors, readiness as tcp_poll computes it.
#include "inet/tcp_conn.hpp"

namespace libos::inet {

// ---- connection side of the calls ----

long TcpConn::connect(uint32_t ip_net, uint16_t port) {
  switch (m_state) {
    case TcpState::closed:
      break;
    case TcpState::syn_sent:
    case TcpState::syn_recv:
      return -EALREADY;
    default:
      return -EISCONN;
  }
  if (ip_net == 0 || !m_stack.routable(ip_net)) return -ENETUNREACH;
  if (!m_bound) {
    long err = bind_ephemeral();
    if (err < 0) return err;
  }
  uint32_t lip = m_stack.source_for(ip_net);
  if (m_lip != 0 && m_lip != lip) return -EADDRNOTAVAIL;
  if (lookup(m_tcp, lip, m_lport, ip_net, port) != nullptr) return -EADDRNOTAVAIL;
  m_rcv.release();  // a socket may connect again after a failed attempt
  m_snd.release();
  if (!alloc_buffers()) return -ENOMEM;
  m_lip = lip;
  m_rip = ip_net;
  m_rport = port;
  m_error = 0;
  m_rcv_shutdown = m_snd_shutdown = m_fin_received = m_fin_queued = m_fin_acked = false;
  m_ooo_count = 0;
  m_ooo_fin = false;
  m_in_recovery = false;
  m_dupacks = 0;
  m_backoff = 0;
  m_srtt_us = m_rttvar_us = 0;
  m_rto_us = kRtoInitUs;
  m_mss = kDefaultPeerMss;
  m_wscale_ok = true;
  m_rcv_wscale = wscale_for(m_rcvbuf);
  m_snd_wscale = 0;
  m_sack_ok = true;
  m_iss = make_isn(m_lip, m_lport, m_rip, m_rport);
  m_snd_una = m_iss;
  m_snd_nxt = m_snd_max = m_iss + 1;
  m_recover = m_iss;
  m_state = TcpState::syn_sent;
  hash_insert();
  m_rtt_start = m_stack.now();
  send_syn();
  set_timer(TcpTimer::syn, m_stack.now() + rto_ns_backed_off());
  return -EINPROGRESS;
}

long TcpConn::listen(int backlog) {
  uint32_t b = backlog < 1 ? 1 : static_cast<uint32_t>(backlog);
  if (b > kMaxBacklog) b = kMaxBacklog;
  if (m_state == TcpState::listen) {
    m_backlog = b;  // Linux lets listen() change the backlog
    return 0;
  }
  if (m_state != TcpState::closed || m_was_connected) return -EINVAL;
  if (!m_bound) {
    long err = bind_ephemeral();
    if (err < 0) return err;
  }
  for (TcpConn* l = m_tcp.m_listeners; l != nullptr; l = l->m_listen_next) {
    if (l->m_lport == m_lport && (l->m_lip == 0 || m_lip == 0 || l->m_lip == m_lip) && family_overlaps(*l))
      return -EADDRINUSE;
  }
  m_backlog = b;
  m_state = TcpState::listen;
  m_listen_next = m_tcp.m_listeners;
  m_tcp.m_listeners = this;
  m_listed = true;
  return 0;
}

TcpConn* TcpConn::accept_pop() {
  TcpConn* c = m_accept_head;
  if (c == nullptr) return nullptr;
  m_accept_head = c->m_accept_next;
  if (m_accept_head == nullptr) m_accept_tail = nullptr;
  --m_accept_count;
  c->m_accept_next = nullptr;
  c->m_queued = false;
  c->m_listener = nullptr;
  return c;
}

long TcpConn::send(const void* buf, size_t len, bool more) {
  if (m_error != 0) {
    long e = -m_error;
    m_error = 0;
    return e;
  }
  if (m_state == TcpState::syn_sent || m_state == TcpState::syn_recv) return -EAGAIN;
  // Linux (sk_stream_wait_connect): EPIPE for anything not connected.
  if (m_snd_shutdown || (m_state != TcpState::established && m_state != TcpState::close_wait)) return -EPIPE;
  if (len == 0) return 0;
  if (m_snd.space() == 0) return -EAGAIN;
  uint32_t n = len > m_snd.space() ? m_snd.space() : static_cast<uint32_t>(len);
  m_snd.push(buf, n);
  m_more = more;
  output();
  return n;
}

long TcpConn::send_fill(size_t len, bool more, TcpSocket::FillFn fill, void* ctx) {
  if (m_error != 0) {
    long e = -m_error;
    m_error = 0;
    return e;
  }
  if (m_state == TcpState::syn_sent || m_state == TcpState::syn_recv) return -EAGAIN;
  if (m_snd_shutdown || (m_state != TcpState::established && m_state != TcpState::close_wait)) return -EPIPE;
  if (len == 0) return 0;
  if (m_snd.space() == 0) return -EAGAIN;
  uint8_t* span[2];
  uint32_t room[2];
  m_snd.free_spans(&span[0], &room[0], &span[1], &room[1]);
  size_t done = 0;
  long err = 0;
  for (int i = 0; i < 2 && done < len; ++i) {
    uint32_t want = len - done < room[i] ? static_cast<uint32_t>(len - done) : room[i];
    uint32_t got = 0;
    while (got < want) {
      long n = fill(ctx, span[i] + got, want - got);
      if (n <= 0) {
        err = n;
        break;
      }
      got += static_cast<uint32_t>(n);
    }
    m_snd.commit(got);
    done += got;
    if (got < want) break;
  }
  if (done == 0) return err;
  // Partial segments wait for the rest of the file while more follows:
  // full-sized (and, with TSO, 64 KiB) segments, as Linux's sendfile.
  m_more = more;
  output();
  return static_cast<long>(done);
}

long TcpConn::recv(void* buf, size_t len, bool peek) {
  if (m_state == TcpState::listen) return -ENOTCONN;
  if (m_rcv.allocated() && m_rcv.size() > 0) {
    if (len == 0) return 0;
    uint32_t n = len > m_rcv.size() ? m_rcv.size() : static_cast<uint32_t>(len);
    m_rcv.copy_out(0, buf, n);
    if (!peek) {
      m_rcv.pop(n);
      window_update_if_needed();
    }
    return n;
  }
  if (m_error != 0) {
    long e = -m_error;
    m_error = 0;
    return e;
  }
  if (m_rcv_shutdown) return 0;
  if (m_state == TcpState::closed) return m_was_connected ? 0 : -ENOTCONN;
  return -EAGAIN;
}

void TcpConn::queue_fin() {
  if (m_fin_queued) return;
  m_fin_queued = true;
  m_snd_shutdown = true;
  if (m_state == TcpState::established) m_state = TcpState::fin_wait1;
  else if (m_state == TcpState::close_wait) m_state = TcpState::last_ack;
  output();
}

long TcpConn::shutdown(int how) {
  if (how < 0 || how > 2) return -EINVAL;
  switch (m_state) {
    case TcpState::listen:
      if (how != 1) {
        stop_listening();  // as Linux: wakes accept, which now fails with EINVAL
        wake(kPollIn | kPollHup);
      }
      return 0;
    case TcpState::closed:
      return -ENOTCONN;
    case TcpState::syn_sent:
      hash_remove();
      set_timer(TcpTimer::none, 0);
      m_state = TcpState::closed;
      wake(kPollHup);
      return 0;
    default:
      break;
  }
  if (how != 1) m_rcv_shutdown = true;
  if (how != 0) queue_fin();
  wake(poll());
  return 0;
}

void TcpConn::close_socket() {
  m_socket->m_conn = nullptr;
  m_socket = nullptr;
  switch (m_state) {
    case TcpState::listen:
      stop_listening();
      free(this);
      return;
    case TcpState::closed:
    case TcpState::syn_sent:
      free(this);
      return;
    case TcpState::time_wait:
      m_rcv.release();
      return;  // an orphan now; the timer frees it
    default:
      break;
  }
  bool unread = m_rcv.allocated() && m_rcv.size() > 0;
  if (unread || (m_linger_on && m_linger_s == 0) || m_state == TcpState::syn_recv) {
    // RFC 9293 3.10.4 / Linux: closing with unread data or SO_LINGER 0 aborts.
    send_rst();
    free(this);
    return;
  }
  m_rcv_shutdown = true;
  queue_fin();  // may free nothing: output only sends
  if (m_state == TcpState::fin_wait2 && m_timer == TcpTimer::none) {
    set_timer(TcpTimer::fin_wait2, m_stack.now() + kFinWait2Orphan);
  }
}

uint32_t TcpConn::poll() const {
  if (m_state == TcpState::listen) return m_accept_count > 0 ? kPollIn | kPollRdNorm : 0;
  uint32_t mask = 0;
  if ((m_rcv_shutdown && m_snd_shutdown) || m_state == TcpState::closed) mask |= kPollHup;
  if (m_rcv_shutdown) mask |= kPollIn | kPollRdNorm | kPollRdHup;
  if (m_state != TcpState::syn_sent && m_state != TcpState::syn_recv) {
    if (m_rcv.allocated() && m_rcv.size() > 0) mask |= kPollIn | kPollRdNorm;
    if (m_snd_shutdown || snd_writable()) mask |= kPollOut | kPollWrNorm;
  }
  if (m_error != 0) mask |= kPollErr;
  return mask;
}

// ---- TcpSocket ----

TcpSocket::TcpSocket(Stack& stack) : m_stack(stack) {}
TcpSocket::~TcpSocket() = default;

TcpSocket* TcpSocket::create(Stack& stack) {
  void* mem = mem_alloc(sizeof(TcpSocket));
  if (mem == nullptr) return nullptr;
  auto* sock = new (mem) TcpSocket(stack);
  sock->m_conn = TcpConn::make(stack.tcp());
  if (sock->m_conn == nullptr) {
    sock->~TcpSocket();
    mem_free(sock);
    return nullptr;
  }
  sock->m_conn->m_socket = sock;
  return sock;
}

void TcpSocket::set_events(SocketEvents* events) { m_events = events; }
long TcpSocket::bind(uint32_t ip_net, uint16_t port) { return m_conn->bind(ip_net, port); }
long TcpSocket::listen(int backlog) { return m_conn->listen(backlog); }
long TcpSocket::connect(uint32_t ip_net, uint16_t port) { return m_conn->connect(ip_net, port); }
long TcpSocket::send(const void* buf, size_t len, bool more) { return m_conn->send(buf, len, more); }
long TcpSocket::recv(void* buf, size_t len, bool peek) { return m_conn->recv(buf, len, peek); }
long TcpSocket::send_fill(size_t len, bool more, FillFn fill, void* ctx) {
  return m_conn->send_fill(len, more, fill, ctx);
}
long TcpSocket::shutdown(int how) { return m_conn->shutdown(how); }
uint32_t TcpSocket::poll() const { return m_conn->poll(); }

TcpSocket* TcpSocket::accept(long* err) {
  if (m_conn->m_state != TcpState::listen) {
    *err = -EINVAL;
    return nullptr;
  }
  if (m_conn->m_accept_head == nullptr) {
    *err = -EAGAIN;
    return nullptr;
  }
  void* mem = mem_alloc(sizeof(TcpSocket));
  if (mem == nullptr) {
    *err = -ENOMEM;
    return nullptr;
  }
  auto* sock = new (mem) TcpSocket(m_stack);
  TcpConn* c = m_conn->accept_pop();
  sock->m_conn = c;
  c->m_socket = sock;
  *err = 0;
  return sock;
}

void TcpSocket::close() {
  m_conn->close_socket();
  this->~TcpSocket();
  mem_free(this);
}

int TcpSocket::take_error() {
  int e = m_conn->m_error;
  m_conn->m_error = 0;
  return e;
}

void TcpSocket::set_nodelay(bool on) {
  m_conn->m_nodelay = on;
  if (on) m_conn->output();  // Linux pushes what Nagle held
}
bool TcpSocket::nodelay() const { return m_conn->m_nodelay; }

void TcpSocket::set_cork(bool on) {
  m_conn->m_cork = on;
  if (!on) {
    m_conn->m_more = false;
    m_conn->output();
  }
}
long TcpSocket::set_family(Family f) {
  if (m_conn->m_bound) return -EINVAL;
  m_conn->m_family = f;
  return 0;
}

void TcpSocket::push() {
  if (!m_conn->m_more) return;
  m_conn->m_more = false;
  m_conn->output();
}
bool TcpSocket::cork() const { return m_conn->m_cork; }

void TcpSocket::set_keepalive(bool on) {
  m_conn->m_keepalive = on;
  m_conn->set_keepalive_timer();
}
bool TcpSocket::keepalive() const { return m_conn->m_keepalive; }

void TcpSocket::set_keepalive_params(uint32_t idle_s, uint32_t interval_s, uint32_t count) {
  m_conn->m_ka_idle = idle_s == 0 ? 1 : idle_s;
  m_conn->m_ka_intvl = interval_s == 0 ? 1 : interval_s;
  m_conn->m_ka_cnt = count == 0 ? 1 : count;
  m_conn->set_keepalive_timer();
}
void TcpSocket::keepalive_params(uint32_t* idle_s, uint32_t* interval_s, uint32_t* count) const {
  *idle_s = m_conn->m_ka_idle;
  *interval_s = m_conn->m_ka_intvl;
  *count = m_conn->m_ka_cnt;
}

void TcpSocket::set_reuseaddr(bool on) { m_conn->m_reuseaddr = on; }
bool TcpSocket::reuseaddr() const { return m_conn->m_reuseaddr; }

namespace {

// As Linux's sock_setsockopt: the request is clamped, doubled (for the
// kernel's bookkeeping; here the ring simply gets it all) and floored.
uint32_t buffer_size(int bytes) {
  uint32_t v = bytes < 0 ? 0 : static_cast<uint32_t>(bytes);
  if (v > kMaxBufRequest) v = kMaxBufRequest;
  v *= 2;
  return v < kMinBuf ? kMinBuf : v;
}

}  // namespace

// Sizes apply to rings not yet allocated (before the connection is set up),
// as the window scale is fixed by then anyway.
void TcpSocket::set_rcvbuf(int bytes) { m_conn->m_rcvbuf = buffer_size(bytes); }
int TcpSocket::rcvbuf() const { return static_cast<int>(m_conn->m_rcvbuf); }
void TcpSocket::set_sndbuf(int bytes) { m_conn->m_sndbuf = buffer_size(bytes); }
int TcpSocket::sndbuf() const { return static_cast<int>(m_conn->m_sndbuf); }

void TcpSocket::set_linger(bool on, int seconds) {
  m_conn->m_linger_on = on;
  m_conn->m_linger_s = seconds < 0 ? 0 : seconds;
}
void TcpSocket::linger(bool* on, int* seconds) const {
  *on = m_conn->m_linger_on;
  *seconds = m_conn->m_linger_s;
}

int TcpSocket::maxseg() const { return m_conn->m_mss; }
size_t TcpSocket::readable() const { return m_conn->m_rcv.allocated() ? m_conn->m_rcv.size() : 0; }
size_t TcpSocket::unsent() const { return m_conn->m_snd.allocated() ? m_conn->m_snd.size() : 0; }
TcpState TcpSocket::state() const { return m_conn->m_state; }
bool TcpSocket::listening() const { return m_conn->m_state == TcpState::listen; }
uint32_t TcpSocket::local_ip() const { return m_conn->m_lip; }
uint16_t TcpSocket::local_port() const { return m_conn->m_lport; }
uint32_t TcpSocket::peer_ip() const { return m_conn->m_state == TcpState::closed && !m_conn->m_was_connected ? 0 : m_conn->m_rip; }
uint16_t TcpSocket::peer_port() const { return m_conn->m_state == TcpState::closed && !m_conn->m_was_connected ? 0 : m_conn->m_rport; }

}  // namespace libos::inet
