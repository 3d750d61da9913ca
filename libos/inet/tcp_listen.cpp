// Passive open: SYNs to a listener, the bounded SYN queue, the accept
// queue, and SYN cookies when the SYN queue is full.
//
// A flood of SYNs from many sources can hold at most min(backlog, 4096) SYN_RECV
// connections per listener and 1024 in all; beyond that each SYN is answered
// statelessly with a cookie in the ISN (a keyed hash of the 4-tuple, the
// peer's ISN and a 64-second time counter, plus an index into an MSS table),
// and the connection is created only when an ACK returns a valid cookie, so
// real clients still connect while memory stays bounded.
#include "inet/tcp_conn.hpp"

namespace libos::inet {

namespace {

constexpr uint16_t kCookieMss[8] = {216, 536, 1024, 1220, 1300, 1400, 1440, 1460};
constexpr uint64_t kCookiePeriod = 64 * kSec;

uint32_t cookie_time(uint64_t now) { return static_cast<uint32_t>(now / kCookiePeriod) & 31; }

}  // namespace

uint8_t TcpConn::wscale_for(uint32_t buf) {
  uint8_t s = 0;
  while (s < kMaxWscale && (buf >> s) > 0xffff) ++s;
  return s;
}

// RFC 6528: a clock (4 us ticks, as RFC 9293's ISN generator) plus a keyed
// hash of the 4-tuple, so ISNs are unpredictable and grow per tuple.
uint32_t TcpConn::make_isn(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport) const {
  uint64_t h = siphash4(m_tcp.m_key, lip, rip, uint64_t{lport} << 16 | rport, 0x15e);
  return static_cast<uint32_t>(m_stack.now() / 4000) + static_cast<uint32_t>(h);
}

uint32_t TcpConn::cookie_hash(const Segment& s, uint32_t t, uint32_t mss_index, uint32_t irs) const {
  uint64_t h = siphash4(m_tcp.m_key, uint64_t{s.dst} << 32 | s.src, uint64_t{s.dport} << 16 | s.sport,
                        irs, uint64_t{t} << 8 | mss_index);
  return static_cast<uint32_t>(h) & 0xffffff;
}

void TcpConn::listen_input(const Segment& s) {
  if (s.has(kRst)) return;
  if (s.has(kAck)) {
    if (!s.has(kSyn) && cookie_ack(s)) return;
    send_reset_for(m_stack, s);
    return;
  }
  if (!s.has(kSyn)) return;
  // Linux drops SYNs while the accept queue is full: the client retries.
  if (m_accept_count >= m_backlog) {
    ++m_stack.stats().tcp_syn_dropped;
    return;
  }
  TcpConn* c = nullptr;
  if (m_syn_count < m_backlog && m_tcp.m_embryonic < kMaxEmbryonic) c = make(m_tcp);
  if (c == nullptr) {
    send_cookie(s);
    return;
  }
  c->init_child(*this, s);
  c->m_state = TcpState::syn_recv;
  c->m_listener = this;
  ++m_syn_count;
  ++m_tcp.m_embryonic;
  c->hash_insert();
  c->m_rtt_start = m_stack.now();
  c->send_syn();
  c->set_timer(TcpTimer::syn, m_stack.now() + c->rto_ns_backed_off());
}

// A child inherits the listener's options (as Linux's sockets do) and takes
// the peer's from its SYN.
void TcpConn::init_child(const TcpConn& l, const Segment& s) {
  m_nodelay = l.m_nodelay;
  m_cork = l.m_cork;
  m_keepalive = l.m_keepalive;
  m_ka_idle = l.m_ka_idle;
  m_family = l.m_family;
  m_ka_intvl = l.m_ka_intvl;
  m_ka_cnt = l.m_ka_cnt;
  m_reuseaddr = l.m_reuseaddr;
  m_linger_on = l.m_linger_on;
  m_linger_s = l.m_linger_s;
  m_rcvbuf = l.m_rcvbuf;
  m_sndbuf = l.m_sndbuf;
  m_lip = s.dst;
  m_lport = s.dport;
  m_rip = s.src;
  m_rport = s.sport;
  m_bound = true;
  m_irs = s.seq;
  m_rcv_nxt = s.seq + 1;
  m_rcv_adv = m_rcv_nxt + (m_rcvbuf < 0xffff ? m_rcvbuf : 0xffff);
  m_iss = make_isn(m_lip, m_lport, m_rip, m_rport);
  m_snd_una = m_iss;
  m_snd_nxt = m_snd_max = m_iss + 1;
  m_wscale_ok = true;
  m_rcv_wscale = wscale_for(m_rcvbuf);
  m_sack_ok = true;
  take_syn_options(s);
  m_snd_wnd = s.wnd;
  m_max_snd_wnd = m_snd_wnd;
  m_snd_wl1 = s.seq;
  m_snd_wl2 = m_iss;
}

void TcpConn::send_cookie(const Segment& s) {
  uint64_t now = m_stack.now();
  uint16_t ours = static_cast<uint16_t>(m_stack.l4_room(s.src) - kTcpHeader);
  uint16_t peer = s.mss != 0 ? s.mss : kDefaultPeerMss;
  uint16_t want = peer < ours ? peer : ours;
  uint32_t index = 0;
  for (uint32_t i = 0; i < 8; ++i) {
    if (kCookieMss[i] <= want) index = i;
  }
  uint32_t t = cookie_time(now);
  uint32_t irs = s.seq;
  uint32_t cookie = t << 27 | index << 24 | cookie_hash(s, t, index, irs);
  uint8_t opts[4] = {kOptMss, 4, 0, 0};
  store16(opts + 2, ours);
  uint16_t wnd = static_cast<uint16_t>(m_rcvbuf < 0xffff ? m_rcvbuf : 0xffff);
  send_raw(m_stack, s.dst, s.src, s.dport, s.sport, cookie, irs + 1, kSyn | kAck, wnd, opts, sizeof opts);
  ++m_stack.stats().tcp_syncookies_sent;
  m_cookie_time = now + 1;  // 0 stays "never"
}

bool TcpConn::cookie_ack(const Segment& s) {
  uint64_t now = m_stack.now();
  if (m_cookie_time == 0 || now + 1 - m_cookie_time > 2 * kCookiePeriod) return false;
  uint32_t cookie = s.ack - 1;
  uint32_t t = cookie >> 27;
  uint32_t index = (cookie >> 24) & 7;
  if (((cookie_time(now) - t) & 31) > 1) return false;  // older than two periods
  uint32_t irs = s.seq - 1;
  if (cookie_hash(s, t, index, irs) != (cookie & 0xffffff)) return false;
  if (m_accept_count >= m_backlog) return true;  // valid, but no room: drop (the client retries)
  TcpConn* c = make(m_tcp);
  if (c == nullptr) return true;
  c->init_child(*this, s);
  // The cookie carried no window scale or SACK: the connection goes without.
  c->m_irs = irs;
  c->m_rcv_nxt = s.seq;
  c->m_iss = cookie;
  c->m_snd_una = c->m_snd_nxt = c->m_snd_max = s.ack;
  c->m_wscale_ok = c->m_sack_ok = false;
  c->m_snd_wscale = c->m_rcv_wscale = 0;
  c->m_peer_mss = kCookieMss[index];
  uint16_t ours = static_cast<uint16_t>(m_stack.l4_room(s.src) - kTcpHeader);
  c->m_mss = kCookieMss[index] < ours ? kCookieMss[index] : ours;
  c->m_rcv_adv = c->m_rcv_nxt + (c->m_rcvbuf < 0xffff ? c->m_rcvbuf : 0xffff);
  if (!c->alloc_buffers()) {
    free(c);
    return true;
  }
  c->enter_established();
  c->m_snd_wnd = s.wnd;
  c->m_max_snd_wnd = s.wnd;
  c->m_snd_wl1 = s.seq;
  c->m_snd_wl2 = s.ack;
  c->m_listener = this;
  c->m_queued = true;
  if (m_accept_tail != nullptr) m_accept_tail->m_accept_next = c;
  else m_accept_head = c;
  m_accept_tail = c;
  ++m_accept_count;
  c->hash_insert();
  wake(kPollIn | kPollRdNorm);
  if (s.len > 0 || s.has(kFin)) c->input(s);  // data that came with the ACK
  return true;
}

void TcpConn::stop_listening() {
  TcpConn* c = m_tcp.m_all;
  while (c != nullptr) {
    TcpConn* next = c->m_all_next;
    if (c->m_listener == this) {
      if (c->m_state != TcpState::syn_recv) c->send_rst();  // Linux resets unaccepted connections
      free(c);
    }
    c = next;
  }
  if (m_listed) {
    for (TcpConn** p = &m_tcp.m_listeners; *p != nullptr; p = &(*p)->m_listen_next) {
      if (*p == this) {
        *p = m_listen_next;
        break;
      }
    }
    m_listed = false;
  }
  m_accept_head = m_accept_tail = nullptr;
  m_accept_count = m_syn_count = 0;
  m_state = TcpState::closed;
}

}  // namespace libos::inet
