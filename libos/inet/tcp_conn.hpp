// One TCP connection's protocol state (the transmission control block of
// RFC 9293 3.3.1), private to libos/inet/tcp_*.cpp.
//
// Ownership: a TcpSocket always has a TcpConn (options live here too). A
// connection outlives its socket after close() (FIN_WAIT, TIME_WAIT: an
// "orphan"), and a passively opened connection exists before its socket
// (SYN_RECV, then the listener's accept queue). Tcp frees a connection when
// it reaches CLOSED with no socket; a socket's close() frees it otherwise.
#pragma once

#include "inet/tcp.hpp"
#include "inet/tcp_ring.hpp"
#include "inet/tcp_wire.hpp"
#include "uapi/socket.hpp"

namespace libos::inet {

// Tunables, Linux's values unless a comment says why not.
inline constexpr uint32_t kDefaultBuf = 256 * 1024;   // send and receive ring
inline constexpr uint32_t kMinBuf = uapi::SOCK_MIN_SNDBUF;
inline constexpr uint32_t kMaxBufRequest = 2 * 1024 * 1024;  // before doubling, as rmem_max
inline constexpr uint64_t kMs = 1'000'000, kSec = 1'000'000'000;
inline constexpr uint32_t kRtoMinUs = 200'000, kRtoMaxUs = 120'000'000, kRtoInitUs = 1'000'000;
inline constexpr uint64_t kDelAck = 40 * kMs;
inline constexpr uint64_t kMsl = 30 * kSec;           // TIME_WAIT = 2 MSL = Linux's 60 s
inline constexpr uint64_t kFinWait2Orphan = 60 * kSec;  // tcp_fin_timeout
inline constexpr uint8_t kMaxRetries = 15;             // tcp_retries2: ~15 backoffs -> ETIMEDOUT
inline constexpr uint8_t kSynRetries = 6, kSynAckRetries = 5;
inline constexpr uint32_t kMaxBacklog = 4096;          // somaxconn
inline constexpr uint32_t kMaxEmbryonic = 1024;        // SYN_RECV across all listeners
inline constexpr uint32_t kMaxTimeWait = 4096;         // tcp_max_tw_buckets, scaled down
inline constexpr uint32_t kMaxConns = 65536;
inline constexpr uint32_t kInitialWindowSegs = 10;     // RFC 6928
inline constexpr int kMaxOoo = 8;                      // out-of-order ranges kept
inline constexpr uint16_t kMinMss = 88;  // floor for a peer's MSS option (Linux: 48)
inline constexpr uint16_t kEphemeralLo = 32768, kEphemeralHi = 60999;

enum class TcpTimer : uint8_t { none, retransmit, persist, syn, time_wait, fin_wait2 };

class TcpConn {
 public:
  TcpConn(Tcp& tcp, Stack& stack);
  ~TcpConn();

  // ---- the table (tcp_table.cpp) ----
  static TcpConn* make(Tcp& tcp);             // linked into tcp's list; nullptr: no memory
  static void free(TcpConn* c);               // unlinks everything and frees
  static TcpConn* lookup(Tcp& tcp, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport);
  // The listener for a SYN from rip to lip:lport: the most specific
  // address whose family set takes rip.
  static TcpConn* find_listener(Tcp& tcp, uint32_t lip, uint16_t lport, uint32_t rip);
  bool takes_peer(uint32_t rip) const;
  bool family_overlaps(const TcpConn& other) const;
  static size_t bucket_of(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport);
  void hash_insert();
  void hash_remove();
  long bind(uint32_t ip_net, uint16_t port);
  long bind_ephemeral();
  bool bind_conflict(uint32_t ip, uint16_t port) const;

  // ---- user calls (tcp_socket.cpp) ----
  long connect(uint32_t ip_net, uint16_t port);
  long listen(int backlog);
  TcpConn* accept_pop();
  long send(const void* buf, size_t len, bool more);
  long send_fill(size_t len, bool more, TcpSocket::FillFn fill, void* ctx);
  long recv(void* buf, size_t len, bool peek);
  long shutdown(int how);
  void close_socket();  // the socket is going away
  void queue_fin();     // shutdown(SHUT_WR): FIN after the queued bytes
  uint32_t poll() const;

  // ---- input (tcp_input.cpp) ----
  void input(const Segment& s);
  void listen_input(const Segment& s);
  void syn_sent_input(const Segment& s);
  bool ack_input(const Segment& s);   // false: segment consumed or conn gone
  void new_ack(uint32_t ack);
  void dup_ack();
  bool data_input(const Segment& s);  // false: the connection was freed
  bool fin_input();                   // false: the connection was freed
  void take_syn_options(const Segment& s);
  void send_ack_if_needed();
  // Passive open (tcp_listen.cpp).
  void init_child(const TcpConn& listener, const Segment& s);
  void send_cookie(const Segment& s);
  bool cookie_ack(const Segment& s);  // true: the ACK carried a valid cookie (handled)
  uint32_t cookie_hash(const Segment& s, uint32_t t, uint32_t mss_index, uint32_t irs) const;
  uint32_t make_isn(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport) const;
  void stop_listening();
  static uint8_t wscale_for(uint32_t buf);
  bool ooo_add(uint32_t start, uint32_t end);  // false: no room for another range

  // ---- output (tcp_output.cpp) ----
  void output();             // sends what windows, Nagle and cork allow; pending ACKs
  void send_ack();           // a pure ACK now
  void send_syn();           // SYN or SYN-ACK (by state)
  void send_rst();           // RST for this connection (seq snd_nxt)
  void emit(uint32_t seq, uint8_t flags, uint32_t len);  // one segment; data from the ring at seq
  uint32_t data_mss() const;      // payload per segment after SACK options
  bool can_send_data() const;
  void retransmit_first();   // one segment at snd_una (fast retransmit, partial ACK)
  void send_probe(bool keepalive);
  uint16_t window_to_advertise();
  void window_update_if_needed();
  static void send_reset_for(Stack& stack, const Segment& s);  // no connection: RFC 9293 3.10.7.1
  static void send_raw(Stack& stack, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                       uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t* opts,
                       size_t olen);

  // ---- timers and state changes (tcp_timer.cpp) ----
  void set_timer(TcpTimer kind, uint64_t at);
  void set_delack();
  void set_keepalive_timer();
  void update_deadline();
  bool run_timers(uint64_t now);  // false: the connection was freed
  bool on_retransmit_timeout();   // false: the connection was freed
  uint64_t rto_ns_backed_off() const;
  void rtt_sample(uint64_t rtt_ns);
  bool enter_time_wait();  // false: the connection was freed instead
  void enter_established();
  // The connection is over: error (positive errno, 0 for none) becomes the
  // socket's pending error. May free this (orphans): the caller must not
  // touch the connection afterwards unless it still has a socket.
  bool terminate(int error);  // true: this was freed
  void wake(uint32_t bits);
  bool alloc_buffers();
  bool snd_writable() const;  // Linux's "writeable": free >= queued / 2

  Tcp& m_tcp;
  Stack& m_stack;
  TcpSocket* m_socket = nullptr;
  TcpConn* m_listener = nullptr;  // SYN_RECV / unaccepted children only

  // Links: all connections, the 4-tuple hash, listeners, accept queue.
  TcpConn* m_all_prev = nullptr;
  TcpConn* m_all_next = nullptr;
  TcpConn* m_hash_next = nullptr;
  TcpConn* m_listen_next = nullptr;
  TcpConn* m_accept_next = nullptr;
  bool m_hashed = false, m_listed = false, m_queued = false, m_bound = false;

  // Listener.
  TcpConn* m_accept_head = nullptr;
  TcpConn* m_accept_tail = nullptr;
  uint32_t m_accept_count = 0, m_syn_count = 0, m_backlog = 0;
  uint64_t m_cookie_time = 0;  // when cookies were last sent (0: never)

  // Addresses: ips network order, ports host order.
  uint32_t m_lip = 0, m_rip = 0;
  uint16_t m_lport = 0, m_rport = 0;
  TcpState m_state = TcpState::closed;

  // Options.
  bool m_nodelay = false, m_cork = false, m_more = false, m_keepalive = false,
       m_reuseaddr = false, m_linger_on = false;
  int m_linger_s = 0;
  TcpSocket::Family m_family = TcpSocket::Family::any;
  uint32_t m_ka_idle = 7200, m_ka_intvl = 75, m_ka_cnt = 9;
  uint32_t m_rcvbuf = kDefaultBuf, m_sndbuf = kDefaultBuf;

  // Send sequence space.
  uint32_t m_iss = 0, m_snd_una = 0, m_snd_nxt = 0, m_snd_max = 0;
  uint32_t m_snd_wnd = 0, m_snd_wl1 = 0, m_snd_wl2 = 0, m_max_snd_wnd = 0;
  uint8_t m_snd_wscale = 0, m_rcv_wscale = 0;
  bool m_wscale_ok = false, m_sack_ok = false;
  uint16_t m_mss = kDefaultPeerMss;  // what we send per segment (options excluded)
  uint16_t m_peer_mss = kDefaultPeerMss;
  TcpRing m_snd;
  bool m_fin_queued = false;  // FIN goes after the ring's bytes
  bool m_fin_acked = false;

  // Congestion control (NewReno, RFC 5681 + RFC 6582).
  uint32_t m_cwnd = 0, m_ssthresh = 0x7fffffff, m_cwnd_acc = 0, m_recover = 0;
  uint8_t m_dupacks = 0;
  bool m_in_recovery = false;

  // RTT (RFC 6298), microseconds.
  uint32_t m_srtt_us = 0, m_rttvar_us = 0, m_rto_us = kRtoInitUs;
  bool m_rtt_timing = false;
  uint32_t m_rtt_seq = 0;
  uint64_t m_rtt_start = 0;
  uint8_t m_backoff = 0;  // consecutive timeouts (RTO exponent)
  uint8_t m_probes = 0;   // zero-window probes without an answer

  // Receive sequence space.
  uint32_t m_irs = 0, m_rcv_nxt = 0, m_rcv_adv = 0;  // m_rcv_adv: right edge advertised
  TcpRing m_rcv;
  uint32_t m_ooo[kMaxOoo][2] = {};  // sorted, disjoint [start, end) beyond rcv_nxt
  int m_ooo_count = 0;
  uint32_t m_ooo_recent = 0;        // start of the range the newest segment joined
  bool m_ooo_fin = false;           // a FIN beyond a gap, at m_ooo_fin_seq
  uint32_t m_ooo_fin_seq = 0;
  uint32_t m_rcv_mss = kDefaultPeerMss;  // largest segment seen (delayed-ACK pacing)
  uint32_t m_unacked = 0;                // bytes received since our last ACK
  bool m_ack_now = false;

  // Shutdown and errors (Linux's sk_shutdown bits and sk_err).
  bool m_rcv_shutdown = false, m_snd_shutdown = false, m_fin_received = false;
  bool m_was_connected = false;
  int m_error = 0;

  // Timers: one "main" timer (retransmit, persist, SYN, TIME_WAIT,
  // FIN_WAIT_2), the delayed ACK and keepalive; m_deadline is their minimum.
  TcpTimer m_timer = TcpTimer::none;
  uint64_t m_timer_at = kNever, m_delack_at = kNever, m_ka_at = kNever, m_deadline = kNever;
  uint64_t m_last_rx = 0;
  uint8_t m_ka_probes = 0;
};

}  // namespace libos::inet
