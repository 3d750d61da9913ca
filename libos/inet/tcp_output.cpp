// Building and sending segments. Every segment is written straight into the
// IpTx buffer (header, options, then the payload copied once out of the send
// ring) and checksummed there; nothing is queued per segment, since the send
// ring itself is the retransmission queue.
#include "inet/checksum.hpp"
#include "inet/tcp_conn.hpp"

namespace libos::inet {

namespace {

// TCP payload of one super-frame: the largest IPv4 packet less the IP
// header, the TCP header and its largest options.
constexpr uint32_t kMaxGsoPayload = 65535 - kIpHeader - kTcpHeader - kMaxTcpOptions;
// Below this segment size (a peer's tiny MSS) no super-frames: the device
// would cut one into hundreds of segments (the monitor refuses under 64).
constexpr uint32_t kMinGsoSegment = 256;
// From this payload size on, a segment's bytes are gathered by the device
// from the send ring instead of copied into its buffer (when it can): below,
// the copy costs less than the device's extra piece.
constexpr uint32_t kGatherMin = 1024;

uint32_t min3(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t m = a < b ? a : b;
  return m < c ? m : c;
}

// Header and checksum around l4 bytes already holding options and data.
// partial: the device completes the checksum (TxOffload); the field gets
// the folded pseudo-header sum it starts from, as virtio-net expects.
void finish_header(uint8_t* p, size_t total, size_t hlen, uint16_t sport, uint16_t dport, uint32_t seq,
                   uint32_t ack, uint8_t flags, uint16_t wnd, uint32_t src, uint32_t dst,
                   bool partial = false) {
  store16(p, sport);
  store16(p + 2, dport);
  store32(p + 4, seq);
  store32(p + 8, ack);
  p[12] = static_cast<uint8_t>(hlen / 4) << 4;
  p[13] = flags;
  store16(p + 14, wnd);
  p[16] = p[17] = 0;
  p[18] = p[19] = 0;
  uint32_t sum = csum_pseudo(src, dst, kProtoTcp, static_cast<uint16_t>(total));
  if (partial) {
    uint16_t folded = static_cast<uint16_t>(~csum_fold(sum));
    memcpy(p + 16, &folded, 2);
    return;
  }
  // The folded sum is already in network order (RFC 1071 2(B)): store it as is.
  uint16_t c = csum_fold(csum_add(sum, p, total));
  memcpy(p + 16, &c, 2);
}

}  // namespace

// Our receive window, scaled for the header. The right edge never moves
// left (RFC 9293 3.8.6.2.2: no shrinking) and moves right only by at least
// min(half the buffer, one MSS) at a time (receiver silly-window avoidance).
uint16_t TcpConn::window_to_advertise() {
  uint32_t cap = m_rcv.allocated() ? m_rcv.capacity() : m_rcvbuf;
  uint32_t space = m_rcv.allocated() ? m_rcv.space() : m_rcvbuf;
  uint32_t edge = m_rcv_nxt + space;
  if (seq_gt(edge, m_rcv_adv)) {
    uint32_t threshold = cap / 2 < m_mss ? cap / 2 : m_mss;
    if (edge - m_rcv_adv >= threshold || !seq_gt(m_rcv_adv, m_rcv_nxt)) m_rcv_adv = edge;
  }
  uint32_t wnd = seq_gt(m_rcv_adv, m_rcv_nxt) ? m_rcv_adv - m_rcv_nxt : 0;
  // Rounding down to the scale unit may pull the edge back by less than one
  // unit; harmless, as input accepts whatever fits the ring.
  uint32_t scaled = wnd >> m_rcv_wscale;
  if (scaled > 0xffff) scaled = 0xffff;
  return static_cast<uint16_t>(scaled);
}

// After the application read: tell the peer when the window grew enough
// that it is worth a segment (RFC 9293 3.8.6.2.2 again).
void TcpConn::window_update_if_needed() {
  if (m_state != TcpState::established && m_state != TcpState::fin_wait1 && m_state != TcpState::fin_wait2) {
    return;
  }
  uint32_t edge = m_rcv_nxt + m_rcv.space();
  uint32_t adv = seq_gt(m_rcv_adv, m_rcv_nxt) ? m_rcv_adv - m_rcv_nxt : 0;
  if (!seq_gt(edge, m_rcv_adv)) return;
  uint32_t gain = edge - m_rcv_adv;
  uint32_t threshold = m_rcv.capacity() / 2 < 2u * m_mss ? m_rcv.capacity() / 2 : 2u * m_mss;
  if (gain >= threshold || (adv < m_mss && gain >= m_mss)) send_ack();
}

void TcpConn::emit(uint32_t seq, uint8_t flags, uint32_t len) {
  uint8_t opts[kMaxTcpOptions];
  size_t olen = 0;
  if ((flags & kSyn) != 0) {
    // MSS always; window scale and SACK-permitted when we start, or when
    // the peer's SYN offered them (RFC 7323 1.3, RFC 2018 2).
    uint16_t mss = static_cast<uint16_t>(m_stack.l4_room(m_rip) - kTcpHeader);
    opts[olen++] = kOptMss;
    opts[olen++] = 4;
    store16(opts + olen, mss);
    olen += 2;
    if (m_wscale_ok) {
      opts[olen++] = kOptNop;
      opts[olen++] = kOptWscale;
      opts[olen++] = 3;
      opts[olen++] = m_rcv_wscale;
    }
    if (m_sack_ok) {
      opts[olen++] = kOptNop;
      opts[olen++] = kOptNop;
      opts[olen++] = kOptSackOk;
      opts[olen++] = 2;
    }
  } else if ((flags & kAck) != 0 && m_sack_ok && m_ooo_count > 0) {
    // SACK blocks from the out-of-order ranges, the newest first (RFC 2018 4).
    int blocks = m_ooo_count < kMaxSackBlocks ? m_ooo_count : kMaxSackBlocks;
    opts[olen++] = kOptNop;
    opts[olen++] = kOptNop;
    opts[olen++] = kOptSack;
    opts[olen++] = static_cast<uint8_t>(2 + 8 * blocks);
    int first = 0;
    for (int i = 0; i < m_ooo_count; ++i) {
      if (m_ooo[i][0] == m_ooo_recent) first = i;
    }
    int order[kMaxOoo];
    int n = 0;
    order[n++] = first;
    for (int i = 0; i < m_ooo_count && n < blocks; ++i) {
      if (i != first) order[n++] = i;
    }
    for (int i = 0; i < n; ++i) {
      store32(opts + olen, m_ooo[order[i]][0]);
      store32(opts + olen + 4, m_ooo[order[i]][1]);
      olen += 8;
    }
  }
  // Options count against the MSS (RFC 6691). Longer: a super-frame the
  // device cuts into segments of seg_payload bytes (output() only asks for
  // one when tso_to() allows it), each with these options.
  uint32_t seg_payload = m_mss > olen ? static_cast<uint32_t>(m_mss - olen) : 0;
  bool gso = len > seg_payload && seg_payload >= kMinGsoSegment && m_stack.tso_to(m_rip);
  if (len > seg_payload && !gso) len = seg_payload;
  size_t hlen = kTcpHeader + olen;
  size_t total = hlen + len;
  IpTx tx;
  // A payload worth more than a copy goes by reference: the device reads
  // it from the send ring, which is kept until the frame has left.
  uint32_t external = len >= kGatherMin ? len : 0;
  uint8_t* p = m_stack.ip_begin(m_rip, kProtoTcp, total, &tx, external);
  if (p == nullptr) return;  // lost, as on a full queue: timers recover
  // A frame straight in the device's buffer may leave the checksum to it;
  // one queued for ARP or looped back to us carries a full one.
  bool partial = m_stack.config().offload_csum && !tx.owned;
  if (partial) {
    tx.offload.csum_partial = true;
    tx.offload.csum_start = static_cast<uint16_t>(p - tx.frame);
    tx.offload.csum_offset = 16;
    if (gso) tx.offload.gso_size = static_cast<uint16_t>(seg_payload);
  }
  memcpy(p + kTcpHeader, opts, olen);
  if (tx.gather) {
    const uint8_t* data[kMaxTxSpans];
    uint32_t n[kMaxTxSpans];
    tx.span_count = m_snd.spans(seq - m_snd_una, len, data, n);
    for (int i = 0; i < tx.span_count; ++i) tx.spans[i] = {data[i], n[i]};
  } else if (len > 0) {
    m_snd.copy_out(seq - m_snd_una, p + hlen, len);
  }
  uint16_t wnd = (flags & kSyn) != 0 ? static_cast<uint16_t>(m_rcvbuf < 0xffff ? m_rcvbuf : 0xffff)
                                     : window_to_advertise();
  uint32_t ack = (flags & kAck) != 0 ? m_rcv_nxt : 0;
  finish_header(p, total, hlen, m_lport, m_rport, seq, ack, flags, wnd, m_lip, m_rip, partial);
  m_stack.ip_commit(&tx);
  if ((flags & kAck) != 0) {
    m_unacked = 0;
    m_ack_now = false;
    if (m_delack_at != kNever) {
      m_delack_at = kNever;
      update_deadline();
    }
  }
}

void TcpConn::send_ack() { emit(m_snd_nxt, kAck, 0); }

void TcpConn::send_syn() {
  if (m_state == TcpState::syn_sent) emit(m_iss, kSyn, 0);
  else emit(m_iss, kSyn | kAck, 0);
}

void TcpConn::send_rst() {
  emit(m_snd_nxt, kRst | kAck, 0);
  ++m_stack.stats().tcp_rst_sent;
}

// Probes carry no data and an old sequence number: the peer answers with an
// ACK showing its window (zero-window probe) or that it is alive (keepalive).
void TcpConn::send_probe(bool /*keepalive*/) { emit(m_snd_una - 1, kAck, 0); }

uint32_t TcpConn::data_mss() const {
  if (!m_sack_ok || m_ooo_count == 0) return m_mss;
  uint32_t blocks = m_ooo_count < kMaxSackBlocks ? m_ooo_count : kMaxSackBlocks;
  return m_mss - 4 - 8 * blocks;
}

void TcpConn::retransmit_first() {
  uint32_t avail = m_snd.size();
  uint32_t len = avail < data_mss() ? avail : data_mss();
  bool fin = m_fin_queued && len == avail && seq_gt(m_snd_max, m_snd_una + avail);
  if (len == 0 && !fin) return;
  emit(m_snd_una, static_cast<uint8_t>(kAck | (fin ? kFin : 0)), len);
  ++m_stack.stats().tcp_retransmits;
  m_rtt_timing = false;  // Karn: no sample from a retransmitted segment
}

bool TcpConn::can_send_data() const {
  switch (m_state) {
    case TcpState::established:
    case TcpState::close_wait:
    case TcpState::fin_wait1:
    case TcpState::closing:
    case TcpState::last_ack:
      return m_snd.allocated();
    default:
      return false;
  }
}

void TcpConn::output() {
  if (!can_send_data()) {
    if (m_ack_now) send_ack();
    return;
  }
  uint64_t now = m_stack.now();
  for (;;) {
    uint32_t size = m_snd.size();
    uint32_t data_end = m_snd_una + size;
    uint32_t off = m_snd_nxt - m_snd_una;
    uint32_t avail = off <= size ? size - off : 0;
    uint32_t flight = m_snd_nxt - m_snd_una;
    uint32_t wnd = m_snd_wnd < m_cwnd ? m_snd_wnd : m_cwnd;
    uint32_t usable = wnd > flight ? wnd - flight : 0;
    uint32_t mss = data_mss();
    // With segmentation offload, up to a super-frame of whole segments
    // (still bounded by the window and cwnd); Nagle and SWS below still
    // reason in MSS.
    uint32_t most = mss;
    if (mss >= kMinGsoSegment && m_stack.tso_to(m_rip)) most = (kMaxGsoPayload / mss) * mss;
    uint32_t len = min3(avail, most, usable);
    // A super-frame ends on a segment boundary unless its short last
    // segment would have gone alone too: the window's tail (SWS rules
    // below) or the data's tail under Nagle or cork wait, as they would
    // for separate segments; one carrying the FIN goes whole.
    if (len > mss && len % mss != 0) {
      bool data_tail = len == avail;
      if (!data_tail || (!m_fin_queued && (m_cork || m_more || !m_nodelay))) len -= len % mss;
    }
    bool fin = m_fin_queued && off <= size && m_snd_nxt + len == data_end;
    if (len == 0 && !fin) break;
    if (len < mss && !fin) {
      if (len < avail) {
        // Window-limited (sender silly-window avoidance, RFC 9293 3.8.6.2.1):
        // a small segment only when nothing is in flight or it is half the
        // largest window the peer offered.
        if (flight > 0 && len < m_max_snd_wnd / 2) break;
      } else if (m_cork || m_more || (!m_nodelay && flight > 0)) {
        break;  // corked, MSG_MORE, or Nagle (RFC 896): wait for more or for the ACK
      }
    }
    bool retransmission = seq_lt(m_snd_nxt, m_snd_max);
    uint8_t flags = kAck;
    if (fin) flags |= kFin;
    if (len > 0 && len == avail) flags |= kPsh;
    emit(m_snd_nxt, flags, len);
    if (retransmission) {
      ++m_stack.stats().tcp_retransmits;
    } else if (!m_rtt_timing && len > 0) {
      m_rtt_timing = true;
      m_rtt_seq = m_snd_nxt + len;
      m_rtt_start = now;
    }
    m_snd_nxt += len + (fin ? 1 : 0);
    if (seq_gt(m_snd_nxt, m_snd_max)) m_snd_max = m_snd_nxt;
    if (m_timer != TcpTimer::retransmit) set_timer(TcpTimer::retransmit, now + rto_ns_backed_off());
    if (fin) break;
  }
  // Data waits, nothing is in flight and the window is shut: probe it
  // (persist timer, RFC 9293 3.8.6.1).
  if (m_snd_nxt == m_snd_una && m_snd.size() > 0 && m_snd_wnd == 0 && m_timer != TcpTimer::persist) {
    set_timer(TcpTimer::persist, now + rto_ns_backed_off());
  }
  if (m_ack_now) send_ack();
}

void TcpConn::send_raw(Stack& stack, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                       uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t* opts,
                       size_t olen) {
  IpTx tx;
  size_t total = kTcpHeader + olen;
  uint8_t* p = stack.ip_begin(dst, kProtoTcp, total, &tx);
  if (p == nullptr) return;
  if (olen > 0) memcpy(p + kTcpHeader, opts, olen);
  finish_header(p, total, total, sport, dport, seq, ack, flags, wnd, src, dst);
  stack.ip_commit(&tx);
}

void TcpConn::send_reset_for(Stack& stack, const Segment& s) {
  if (s.has(kRst)) return;  // never answer a reset
  uint32_t seq = 0, ack = 0;
  uint8_t flags = kRst;
  if (s.has(kAck)) {
    seq = s.ack;
  } else {
    ack = s.seq + s.seq_len();
    flags |= kAck;
  }
  send_raw(stack, s.dst, s.src, s.dport, s.sport, seq, ack, flags, 0, nullptr, 0);
  ++stack.stats().tcp_rst_sent;
}

}  // namespace libos::inet
