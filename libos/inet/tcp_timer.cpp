// Timers and the state changes they share with input: retransmission (RFC
// 6298 RTO with Karn's rule and backoff), SYN and SYN-ACK retries, the
// persist timer, delayed ACKs, keepalive, TIME_WAIT and orphaned FIN_WAIT_2.
//
// Each connection keeps three deadlines and their minimum; Tcp keeps a value
// never later than the earliest of all, so next_deadline() is one load and
// run_timers() walks the connections only when something may be due.
#include "inet/tcp_conn.hpp"

namespace libos::inet {

void TcpConn::update_deadline() {
  uint64_t d = m_timer_at;
  if (m_delack_at < d) d = m_delack_at;
  if (m_ka_at < d) d = m_ka_at;
  m_deadline = d;
  if (d < m_tcp.m_next_deadline) m_tcp.m_next_deadline = d;
}

void TcpConn::set_timer(TcpTimer kind, uint64_t at) {
  m_timer = kind;
  m_timer_at = kind == TcpTimer::none ? kNever : at;
  update_deadline();
}

void TcpConn::set_delack() {
  if (m_delack_at != kNever) return;
  m_delack_at = m_stack.now() + kDelAck;
  update_deadline();
}

void TcpConn::set_keepalive_timer() {
  bool on = m_keepalive && (m_state == TcpState::established || m_state == TcpState::close_wait ||
                            m_state == TcpState::fin_wait2);
  m_ka_at = on ? m_last_rx + uint64_t{m_ka_idle} * kSec : kNever;
  m_ka_probes = 0;
  update_deadline();
}

uint64_t TcpConn::rto_ns_backed_off() const {
  uint64_t rto = uint64_t{m_rto_us} * 1000;
  uint8_t shift = m_backoff < 16 ? m_backoff : 16;
  rto <<= shift;
  uint64_t max = uint64_t{kRtoMaxUs} * 1000;
  return rto < max ? rto : max;
}

// RFC 6298 2.2-2.4, with Linux's 200 ms floor and a 1 ms clock granularity.
void TcpConn::rtt_sample(uint64_t rtt_ns) {
  uint64_t us = rtt_ns / 1000;
  uint32_t r = us == 0 ? 1 : (us > 0x7fffffff ? 0x7fffffff : static_cast<uint32_t>(us));
  if (m_srtt_us == 0) {
    m_srtt_us = r;
    m_rttvar_us = r / 2;
  } else {
    uint32_t delta = m_srtt_us > r ? m_srtt_us - r : r - m_srtt_us;
    m_rttvar_us = static_cast<uint32_t>((3ull * m_rttvar_us + delta) / 4);
    m_srtt_us = static_cast<uint32_t>((7ull * m_srtt_us + r) / 8);
  }
  uint64_t var = 4ull * m_rttvar_us;
  uint64_t rto = m_srtt_us + (var > 1000 ? var : 1000);
  if (rto < kRtoMinUs) rto = kRtoMinUs;
  if (rto > kRtoMaxUs) rto = kRtoMaxUs;
  m_rto_us = static_cast<uint32_t>(rto);
}

void TcpConn::wake(uint32_t bits) {
  if (m_socket != nullptr && m_socket->m_events != nullptr) m_socket->m_events->socket_changed(bits);
}

bool TcpConn::alloc_buffers() {
  if (!m_snd.allocated() && !m_snd.allocate(m_sndbuf)) return false;
  if (!m_rcv.allocated() && !m_rcv.allocate(m_rcvbuf)) return false;
  return true;
}

bool TcpConn::snd_writable() const {
  if (!m_snd.allocated()) return true;
  return m_snd.space() > 0 && m_snd.space() >= m_snd.size() / 2;
}

void TcpConn::enter_established() {
  m_state = TcpState::established;
  m_was_connected = true;
  m_last_rx = m_stack.now();
  // RFC 6928 initial window; RFC 5681 ssthresh "arbitrarily high".
  uint32_t iw = kInitialWindowSegs * m_mss;
  m_cwnd = iw;
  m_ssthresh = 0x7fffffff;
  m_recover = m_snd_una;
  m_backoff = 0;
  set_timer(TcpTimer::none, 0);
  set_keepalive_timer();
}

bool TcpConn::enter_time_wait() {
  if (m_socket == nullptr && m_tcp.m_time_wait >= kMaxTimeWait) {
    terminate(0);  // too many: skip TIME_WAIT rather than grow without bound
    return false;
  }
  m_state = TcpState::time_wait;
  ++m_tcp.m_time_wait;
  m_rcv_shutdown = m_snd_shutdown = true;
  m_snd.release();
  if (m_socket == nullptr) m_rcv.release();
  m_delack_at = m_ka_at = kNever;
  set_timer(TcpTimer::time_wait, m_stack.now() + 2 * kMsl);
  wake(kPollIn | kPollRdNorm | kPollRdHup | kPollHup);
  return true;
}

bool TcpConn::terminate(int error) {
  if (m_socket == nullptr) {
    free(this);
    return true;
  }
  hash_remove();
  if (m_state == TcpState::time_wait) --m_tcp.m_time_wait;
  m_state = TcpState::closed;
  if (error != 0) m_error = error;
  m_rcv_shutdown = m_snd_shutdown = true;
  m_fin_queued = false;
  m_snd.release();
  m_ooo_count = 0;
  m_timer = TcpTimer::none;
  m_timer_at = m_delack_at = m_ka_at = kNever;
  update_deadline();
  uint32_t bits = kPollIn | kPollRdNorm | kPollRdHup | kPollHup | kPollOut | kPollWrNorm;
  if (error != 0) bits |= kPollErr;
  wake(bits);
  return false;
}

// Returns false when the connection was freed.
bool TcpConn::on_retransmit_timeout() {
  if (m_snd_una == m_snd_max) {
    set_timer(TcpTimer::none, 0);
    return true;
  }
  if (++m_backoff > kMaxRetries) {
    ++m_stack.stats().tcp_timeouts;
    return !terminate(ETIMEDOUT);
  }
  // RFC 5681 3.1 (equation 4) and go-back-N from the first unacknowledged byte.
  uint32_t flight = m_snd_max - m_snd_una;
  uint32_t half = flight / 2;
  m_ssthresh = half > 2u * m_mss ? half : 2u * m_mss;
  m_cwnd = m_mss;
  m_cwnd_acc = 0;
  m_in_recovery = false;
  m_dupacks = 0;
  m_recover = m_snd_max;
  m_snd_nxt = m_snd_una;
  m_rtt_timing = false;
  set_timer(TcpTimer::none, 0);
  output();
  if (m_timer == TcpTimer::none && m_state != TcpState::closed) {
    set_timer(TcpTimer::retransmit, m_stack.now() + rto_ns_backed_off());
  }
  return true;
}

// Returns false when the connection was freed.
bool TcpConn::run_timers(uint64_t now) {
  if (m_timer_at <= now) {
    TcpTimer kind = m_timer;
    m_timer = TcpTimer::none;
    m_timer_at = kNever;
    switch (kind) {
      case TcpTimer::retransmit:
        if (!on_retransmit_timeout()) return false;
        break;
      case TcpTimer::syn: {
        uint8_t limit = m_state == TcpState::syn_sent ? kSynRetries : kSynAckRetries;
        if (++m_backoff > limit) {
          ++m_stack.stats().tcp_timeouts;
          if (terminate(ETIMEDOUT)) return false;
          break;
        }
        send_syn();
        ++m_stack.stats().tcp_retransmits;
        set_timer(TcpTimer::syn, now + rto_ns_backed_off());
        break;
      }
      case TcpTimer::persist:
        if (m_snd_wnd > 0 || m_snd.size() == 0) {
          m_backoff = 0;
          output();
          break;
        }
        if (++m_probes > kMaxRetries) {
          ++m_stack.stats().tcp_timeouts;
          if (terminate(ETIMEDOUT)) return false;
          break;
        }
        send_probe(false);
        if (m_backoff < 16) ++m_backoff;
        set_timer(TcpTimer::persist, now + rto_ns_backed_off());
        break;
      case TcpTimer::time_wait:
      case TcpTimer::fin_wait2:
        if (terminate(0)) return false;
        break;
      case TcpTimer::none:
        break;
    }
  }
  if (m_delack_at <= now) {
    m_delack_at = kNever;
    if (m_state != TcpState::closed) send_ack();
  }
  if (m_ka_at <= now) {
    m_ka_at = kNever;
    bool on = m_keepalive && (m_state == TcpState::established || m_state == TcpState::close_wait ||
                              m_state == TcpState::fin_wait2);
    if (on) {
      uint64_t idle_ns = uint64_t{m_ka_idle} * kSec;
      if (m_snd_una != m_snd_max || (m_ka_probes == 0 && now - m_last_rx < idle_ns)) {
        // Data in flight (the retransmission timer watches the peer) or
        // traffic since: wait a full idle period from the last segment.
        m_ka_probes = 0;
        m_ka_at = (now - m_last_rx < idle_ns ? m_last_rx : now) + idle_ns;
      } else if (m_ka_probes >= m_ka_cnt) {
        ++m_stack.stats().tcp_timeouts;
        send_rst();
        if (terminate(ETIMEDOUT)) return false;
      } else {
        send_probe(true);
        ++m_ka_probes;
        m_ka_at = now + uint64_t{m_ka_intvl} * kSec;
      }
    }
  }
  update_deadline();
  return true;
}

uint64_t Tcp::run_timers() {
  uint64_t now = m_stack.now();
  if (now < m_next_deadline) return m_next_deadline;
  m_next_deadline = kNever;
  TcpConn* c = m_all;
  while (c != nullptr) {
    TcpConn* next = c->m_all_next;
    if (c->m_deadline <= now) c->run_timers(now);  // may free c; its deadline is merged in
    else if (c->m_deadline < m_next_deadline) m_next_deadline = c->m_deadline;
    c = next;
  }
  return m_next_deadline;
}

uint64_t Tcp::next_deadline() const { return m_next_deadline; }

bool Tcp::sending() const {
  for (const TcpConn* c = m_all; c != nullptr; c = c->m_all_next) {
    switch (c->m_state) {
      case TcpState::established:
      case TcpState::close_wait:
      case TcpState::fin_wait1:
      case TcpState::closing:
      case TcpState::last_ack:
        if (c->m_snd.size() > 0 || (c->m_fin_queued && !c->m_fin_acked)) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

}  // namespace libos::inet
