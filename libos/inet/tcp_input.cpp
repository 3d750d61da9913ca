// Segment arrival (RFC 9293 3.10.7), with RFC 5961's defences: a RST or SYN
// inside the window but not at RCV.NXT gets a challenge ACK, ACKs outside
// [SND.UNA - MAX.SND.WND, SND.MAX] are dropped. NewReno congestion control
// (RFC 5681, RFC 6582) lives in new_ack / dup_ack.
#include "inet/tcp_conn.hpp"

namespace libos::inet {

namespace {

bool bad_source(uint32_t src_net) {
  uint32_t a = ntoh32(src_net);
  return a == 0 || a == 0xffffffffu || (a >> 28) == 0xe;  // unspecified, broadcast, multicast
}

}  // namespace

void Tcp::input(uint32_t src, uint32_t dst, const uint8_t* seg, size_t len) {
  Segment s;
  if (!parse_segment(src, dst, seg, len, &s, !m_stack.rx_checksum_trusted()) || bad_source(src)) {
    ++m_stack.stats().rx_bad_tcp;
    return;
  }
  if (TcpConn* c = TcpConn::lookup(*this, dst, s.dport, src, s.sport)) {
    c->input(s);
    return;
  }
  if (TcpConn* l = TcpConn::find_listener(*this, dst, s.dport, src)) {
    l->listen_input(s);
    return;
  }
  TcpConn::send_reset_for(m_stack, s);  // closed port (RFC 9293 3.10.7.1)
}

void TcpConn::syn_sent_input(const Segment& s) {
  if (s.has(kAck) && (seq_le(s.ack, m_iss) || seq_gt(s.ack, m_snd_max))) {
    send_reset_for(m_stack, s);
    return;
  }
  if (s.has(kRst)) {
    if (s.has(kAck)) terminate(ECONNREFUSED);
    return;
  }
  if (!s.has(kSyn)) return;
  m_irs = s.seq;
  m_rcv_nxt = s.seq + 1;
  m_rcv_adv = m_rcv_nxt;
  take_syn_options(s);
  m_snd_wnd = s.wnd;  // never scaled in a SYN (RFC 7323 2.2)
  m_max_snd_wnd = m_snd_wnd;
  m_snd_wl1 = s.seq;
  m_snd_wl2 = s.ack;
  if (!s.has(kAck)) {
    // Simultaneous open: both SYNs crossed (RFC 9293 figure 7).
    m_state = TcpState::syn_recv;
    send_syn();
    set_timer(TcpTimer::syn, m_stack.now() + rto_ns_backed_off());
    return;
  }
  m_snd_una = s.ack;
  if (m_backoff == 0) rtt_sample(m_stack.now() - m_rtt_start);  // Karn: only an unrepeated SYN
  enter_established();
  m_ack_now = true;
  wake(kPollOut | kPollWrNorm);
  output();
}

void TcpConn::take_syn_options(const Segment& s) {
  m_peer_mss = s.mss != 0 ? s.mss : kDefaultPeerMss;
  uint16_t ours = static_cast<uint16_t>(m_stack.l4_room(m_rip) - kTcpHeader);
  uint16_t mss = m_peer_mss < ours ? m_peer_mss : ours;
  m_mss = mss < kMinMss ? kMinMss : mss;  // a tiny MSS would multiply our work
  if (m_wscale_ok && s.wscale >= 0) {
    m_snd_wscale = static_cast<uint8_t>(s.wscale);
  } else {
    m_wscale_ok = false;
    m_snd_wscale = m_rcv_wscale = 0;
  }
  m_sack_ok = m_sack_ok && s.sack_ok;
}

void TcpConn::input(const Segment& s) {
  if (m_state == TcpState::syn_sent) {
    syn_sent_input(s);
    return;
  }
  // A new SYN to a TIME_WAIT connection with a higher sequence number
  // starts a new incarnation, as Linux allows (RFC 6191 spirit).
  if (m_state == TcpState::time_wait && m_socket == nullptr && s.flags == kSyn && seq_gt(s.seq, m_rcv_nxt)) {
    if (TcpConn* l = find_listener(m_tcp, s.dst, s.dport, s.src)) {
      free(this);
      l->listen_input(s);
      return;
    }
  }
  m_last_rx = m_stack.now();
  m_ka_probes = 0;

  // 1. Sequence number check.
  uint32_t wnd = m_rcv.allocated() ? m_rcv.space() : 0;
  if (m_state == TcpState::syn_recv) wnd = m_rcvbuf;
  uint32_t slen = s.seq_len();
  bool acceptable;
  bool take_data = true;
  if (slen == 0) {
    acceptable = wnd == 0 ? s.seq == m_rcv_nxt
                          : seq_ge(s.seq, m_rcv_nxt) && seq_lt(s.seq, m_rcv_nxt + wnd);
  } else {
    uint32_t last = s.seq + slen - 1;
    acceptable = wnd > 0 && ((seq_ge(s.seq, m_rcv_nxt) && seq_lt(s.seq, m_rcv_nxt + wnd)) ||
                             (seq_ge(last, m_rcv_nxt) && seq_lt(last, m_rcv_nxt + wnd)));
  }
  if (!acceptable) {
    // A zero window still takes ACKs and RSTs at RCV.NXT (RFC 9293 3.10.7.4).
    if (wnd == 0 && s.seq == m_rcv_nxt) {
      take_data = false;
    } else {
      if (!s.has(kRst)) send_ack();
      return;
    }
  }

  // 2. RST (RFC 5961 3.2): only exactly at RCV.NXT; elsewhere in the window
  // it gets a challenge ACK.
  if (s.has(kRst)) {
    if (s.seq != m_rcv_nxt) {
      send_ack();
      return;
    }
    switch (m_state) {
      case TcpState::syn_recv:
        terminate(m_listener != nullptr ? 0 : static_cast<int>(ECONNREFUSED));
        return;
      case TcpState::closing:
      case TcpState::last_ack:
      case TcpState::time_wait:
        terminate(0);
        return;
      default:
        terminate(ECONNRESET);
        return;
    }
  }

  // 4. SYN in a synchronized state (RFC 5961 4): challenge ACK. A repeated
  // SYN of a passive open gets its SYN-ACK again.
  if (s.has(kSyn)) {
    if (m_state == TcpState::syn_recv && s.seq == m_irs) send_syn();
    else send_ack();
    return;
  }

  // 5. ACK.
  if (!s.has(kAck)) return;
  if (!ack_input(s)) return;

  // 7. Data, 8. FIN.
  bool data_state = m_state == TcpState::established || m_state == TcpState::fin_wait1 ||
                    m_state == TcpState::fin_wait2;
  if (data_state && take_data && s.len > 0) {
    if (!data_input(s)) return;
  }
  if (data_state && take_data && s.has(kFin)) {
    uint32_t fin_seq = s.seq + s.len;
    if (fin_seq == m_rcv_nxt) {
      if (!fin_input()) return;
    } else if (seq_gt(fin_seq, m_rcv_nxt)) {
      m_ooo_fin = true;
      m_ooo_fin_seq = fin_seq;
      m_ack_now = true;
    }
  }
  if (m_ooo_fin && m_rcv_nxt == m_ooo_fin_seq && !m_fin_received) {
    if (!fin_input()) return;
  }
  output();
}

bool TcpConn::ack_input(const Segment& s) {
  uint64_t now = m_stack.now();
  if (m_state == TcpState::syn_recv) {
    if (!seq_gt(s.ack, m_snd_una) || seq_gt(s.ack, m_snd_max)) {
      send_reset_for(m_stack, s);
      return false;
    }
    if (m_listener != nullptr && m_listener->m_accept_count >= m_listener->m_backlog) {
      return false;  // accept queue full: as Linux, ignore; the SYN-ACK timer retries
    }
    if (!alloc_buffers()) {
      send_rst();
      terminate(0);
      return false;
    }
    if (m_backoff == 0) rtt_sample(now - m_rtt_start);
    m_snd_una = s.ack;
    if (m_listener != nullptr) {
      --m_listener->m_syn_count;
      --m_tcp.m_embryonic;
    }
    enter_established();
    m_snd_wnd = uint32_t{s.wnd} << m_snd_wscale;
    m_max_snd_wnd = m_snd_wnd;
    m_snd_wl1 = s.seq;
    m_snd_wl2 = s.ack;
    if (TcpConn* l = m_listener) {
      m_queued = true;
      m_accept_next = nullptr;
      if (l->m_accept_tail != nullptr) l->m_accept_tail->m_accept_next = this;
      else l->m_accept_head = this;
      l->m_accept_tail = this;
      ++l->m_accept_count;
      l->wake(kPollIn | kPollRdNorm);
    } else {
      if (m_fin_queued) m_state = TcpState::fin_wait1;
      wake(kPollOut | kPollWrNorm);
    }
    return true;
  }

  // RFC 5961 5.2: an ACK for data never sent is answered and dropped, one
  // older than the largest window the peer could still hold is dropped.
  if (seq_gt(s.ack, m_snd_max)) {
    send_ack();
    return false;
  }
  if (seq_lt(s.ack, m_snd_una - m_max_snd_wnd - 1)) return false;

  uint32_t wnd = uint32_t{s.wnd} << m_snd_wscale;
  if (seq_gt(s.ack, m_snd_una)) {
    new_ack(s.ack);
  } else if (s.ack == m_snd_una && s.len == 0 && !s.has(kFin) && wnd == m_snd_wnd && m_snd_max != m_snd_una) {
    dup_ack();
  }
  m_probes = 0;
  // Window update (RFC 9293 3.10.7.4): only from a newer segment.
  if (seq_lt(m_snd_wl1, s.seq) || (m_snd_wl1 == s.seq && seq_le(m_snd_wl2, s.ack))) {
    m_snd_wnd = wnd;
    m_snd_wl1 = s.seq;
    m_snd_wl2 = s.ack;
    if (wnd > m_max_snd_wnd) m_max_snd_wnd = wnd;
    if (wnd > 0 && m_timer == TcpTimer::persist) {
      m_backoff = 0;
      set_timer(TcpTimer::none, 0);
    }
  }

  if (!m_fin_acked) return true;
  switch (m_state) {
    case TcpState::fin_wait1:
      m_state = TcpState::fin_wait2;
      if (m_socket == nullptr) set_timer(TcpTimer::fin_wait2, now + kFinWait2Orphan);
      set_keepalive_timer();
      wake(kPollOut | kPollWrNorm);
      return true;
    case TcpState::closing:
      send_ack_if_needed();
      enter_time_wait();
      return false;
    case TcpState::last_ack:
      terminate(0);
      return false;
    default:
      return true;
  }
}

void TcpConn::new_ack(uint32_t ack) {
  uint64_t now = m_stack.now();
  uint32_t acked = ack - m_snd_una;
  bool was_writable = snd_writable();
  uint32_t data_acked = acked < m_snd.size() ? acked : m_snd.size();
  if (data_acked > 0) m_snd.pop(data_acked);
  if (acked > data_acked) m_fin_acked = true;  // the FIN's sequence number
  m_snd_una = ack;
  if (seq_lt(m_snd_nxt, m_snd_una)) m_snd_nxt = m_snd_una;
  if (m_rtt_timing && seq_ge(ack, m_rtt_seq)) {
    m_rtt_timing = false;
    rtt_sample(now - m_rtt_start);
  }
  m_backoff = 0;

  uint32_t mss = m_mss;
  if (m_in_recovery) {
    if (seq_ge(ack, m_recover)) {
      // Full acknowledgment (RFC 6582 3.2 step 3): deflate.
      uint32_t flight = m_snd_max - m_snd_una;
      uint32_t base = (flight > mss ? flight : mss) + mss;
      m_cwnd = m_ssthresh < base ? m_ssthresh : base;
      m_in_recovery = false;
      m_dupacks = 0;
    } else {
      // Partial acknowledgment (step 4): the next hole is lost too.
      retransmit_first();
      m_cwnd = (m_cwnd > acked ? m_cwnd - acked : 0) + (acked >= mss ? mss : 0);
      if (m_cwnd < mss) m_cwnd = mss;
    }
  } else {
    m_dupacks = 0;
    if (m_cwnd < m_ssthresh) {
      m_cwnd += acked < 2 * mss ? acked : 2 * mss;  // slow start, ABC L=2 (RFC 3465)
    } else {
      m_cwnd_acc += acked;  // congestion avoidance: one MSS per window
      if (m_cwnd_acc >= m_cwnd) {
        m_cwnd_acc -= m_cwnd;
        m_cwnd += mss;
      }
    }
    uint32_t cap = 2 * m_sndbuf + 16 * mss;  // more than the ring can fill is meaningless
    if (m_cwnd > cap) m_cwnd = cap;
  }

  // RFC 6298 5.2 / 5.3.
  if (m_snd_una == m_snd_max) {
    if (m_timer == TcpTimer::retransmit) set_timer(TcpTimer::none, 0);
  } else if (m_timer == TcpTimer::retransmit || m_timer == TcpTimer::none) {
    set_timer(TcpTimer::retransmit, now + rto_ns_backed_off());
  }
  if (data_acked > 0 && !was_writable && snd_writable()) wake(kPollOut | kPollWrNorm);
}

// Fast retransmit on the third duplicate ACK and NewReno recovery (RFC 5681
// 3.2, RFC 6582 3.2): only when the ACK passed the last recovery point.
void TcpConn::dup_ack() {
  uint32_t mss = m_mss;
  ++m_dupacks;
  if (m_in_recovery) {
    m_cwnd += mss;  // each duplicate means a segment left the network
    return;
  }
  if (m_dupacks != 3 || !seq_gt(m_snd_una, m_recover)) return;
  uint32_t flight = m_snd_max - m_snd_una;
  m_ssthresh = flight / 2 > 2 * mss ? flight / 2 : 2 * mss;
  m_recover = m_snd_max;
  m_in_recovery = true;
  retransmit_first();
  ++m_stack.stats().tcp_fast_retransmits;
  m_cwnd = m_ssthresh + 3 * mss;
  set_timer(TcpTimer::retransmit, m_stack.now() + rto_ns_backed_off());
}

// In-window payload: in order straight after the ring's bytes, out of order
// at its final offset, recorded as a range (and a SACK block).
bool TcpConn::data_input(const Segment& s) {
  if (!m_rcv.allocated()) return true;
  if (m_socket == nullptr && m_listener == nullptr && m_rcv_shutdown) {
    // Data for a connection whose socket is closed: nobody will read it.
    send_rst();
    terminate(0);
    return false;
  }
  uint32_t seq = s.seq;
  const uint8_t* data = s.data;
  uint32_t n = s.len;
  if (seq_lt(seq, m_rcv_nxt)) {
    uint32_t skip = m_rcv_nxt - seq;
    if (skip >= n) {
      m_ack_now = true;
      return true;
    }
    data += skip;
    n -= skip;
    seq = m_rcv_nxt;
  }
  uint32_t space = m_rcv.space();
  uint32_t off = seq - m_rcv_nxt;
  if (off >= space) {
    m_ack_now = true;
    return true;
  }
  if (n > space - off) n = space - off;
  if (n > m_rcv_mss) m_rcv_mss = n < m_mss ? n : m_mss;

  if (off > 0) {
    if (ooo_add(seq, seq + n)) m_rcv.write_at(m_rcv.size() + off, data, n);
    m_ack_now = true;  // a duplicate ACK with SACK blocks, at once (RFC 5681 4.2)
    return true;
  }
  m_rcv.write_at(m_rcv.size(), data, n);
  m_rcv.commit(n);
  m_rcv_nxt += n;
  if (m_ooo_count > 0) {
    // The gap may be filled: take in the ranges now reached, ACK at once.
    int drop = 0;
    while (drop < m_ooo_count && seq_le(m_ooo[drop][0], m_rcv_nxt)) {
      if (seq_gt(m_ooo[drop][1], m_rcv_nxt)) {
        m_rcv.commit(m_ooo[drop][1] - m_rcv_nxt);
        m_rcv_nxt = m_ooo[drop][1];
      }
      ++drop;
    }
    for (int i = drop; i < m_ooo_count; ++i) {
      m_ooo[i - drop][0] = m_ooo[i][0];
      m_ooo[i - drop][1] = m_ooo[i][1];
    }
    m_ooo_count -= drop;
    m_ack_now = true;
  }
  m_unacked += n;
  if (m_unacked >= 2 * m_rcv_mss) m_ack_now = true;  // every second full segment
  else if (!m_ack_now) set_delack();
  wake(kPollIn | kPollRdNorm);
  return true;
}

// Records [start, end) among the sorted, disjoint out-of-order ranges,
// merging neighbours. False when it would need a range we have no room for.
bool TcpConn::ooo_add(uint32_t start, uint32_t end) {
  int i = 0;
  while (i < m_ooo_count && seq_lt(m_ooo[i][1], start)) ++i;
  int j = i;
  uint32_t ns = start, ne = end;
  while (j < m_ooo_count && seq_le(m_ooo[j][0], ne)) {
    if (seq_lt(m_ooo[j][0], ns)) ns = m_ooo[j][0];
    if (seq_gt(m_ooo[j][1], ne)) ne = m_ooo[j][1];
    ++j;
  }
  if (j == i) {
    if (m_ooo_count == kMaxOoo) return false;
    for (int k = m_ooo_count; k > i; --k) {
      m_ooo[k][0] = m_ooo[k - 1][0];
      m_ooo[k][1] = m_ooo[k - 1][1];
    }
    ++m_ooo_count;
  } else {
    int removed = j - i - 1;
    for (int k = j; k < m_ooo_count; ++k) {
      m_ooo[k - removed][0] = m_ooo[k][0];
      m_ooo[k - removed][1] = m_ooo[k][1];
    }
    m_ooo_count -= removed;
  }
  m_ooo[i][0] = ns;
  m_ooo[i][1] = ne;
  m_ooo_recent = ns;
  return true;
}

// The peer's FIN at RCV.NXT. Returns false when the connection was freed.
bool TcpConn::fin_input() {
  m_rcv_nxt += 1;
  m_fin_received = true;
  m_rcv_shutdown = true;
  m_ooo_fin = false;
  m_ack_now = true;
  wake(kPollIn | kPollRdNorm | kPollRdHup);
  switch (m_state) {
    case TcpState::established:
      m_state = TcpState::close_wait;
      break;
    case TcpState::fin_wait1:
      if (!m_fin_acked) {
        m_state = TcpState::closing;
        break;
      }
      [[fallthrough]];
    case TcpState::fin_wait2:
      send_ack();
      return enter_time_wait();
    default:
      break;
  }
  return true;
}

void TcpConn::send_ack_if_needed() {
  if (m_ack_now) send_ack();
}

void Tcp::icmp_error(uint8_t type, uint8_t code, const uint8_t* quoted, size_t len) {
  if (type != 3 || len < kIpHeader) return;
  size_t ihl = static_cast<size_t>(quoted[0] & 0x0fu) * 4;
  if (ihl < kIpHeader || len < ihl + 8 || quoted[9] != kProtoTcp) return;
  uint32_t src, dst;
  memcpy(&src, quoted + 12, 4);
  memcpy(&dst, quoted + 16, 4);
  const uint8_t* t = quoted + ihl;
  TcpConn* c = TcpConn::lookup(*this, src, load16(t), dst, load16(t + 2));
  if (c == nullptr) return;
  // RFC 5927 4.1: believe only errors quoting a sequence number in flight.
  uint32_t seq = load32(t + 4);
  if (!seq_ge(seq, c->m_snd_una) || !seq_lt(seq, c->m_snd_max)) return;
  if ((code == 2 || code == 3) && c->m_state == TcpState::syn_sent) {
    c->terminate(ECONNREFUSED);
    return;
  }
  if (code == 4) {
    // Fragmentation needed. The next-hop MTU is not passed to us, so step
    // down the RFC 1191 plateaus (never below 576 bytes).
    static constexpr uint16_t kPlateaus[] = {1492, 1006, 576};
    uint32_t mtu = uint32_t{c->m_mss} + kIpHeader + kTcpHeader;
    for (uint16_t p : kPlateaus) {
      if (p < mtu) {
        c->m_mss = static_cast<uint16_t>(p - kIpHeader - kTcpHeader);
        c->m_snd_nxt = c->m_snd_una;  // resend what was too big
        c->output();
        break;
      }
    }
  }
}

}  // namespace libos::inet
