// TCP (RFC 9293) for the stack: the full state machine, RTO estimation
// (RFC 6298), retransmission, fast retransmit / NewReno recovery (RFC 6582),
// window scaling and MSS (RFC 7323, RFC 879), SACK-permitted receiver side,
// out-of-order reassembly, delayed ACKs, Nagle and TCP_NODELAY, keepalive,
// TIME_WAIT, RST handling (RFC 5961 checks) and SYN-flood resistance
// (bounded SYN queue, SYN cookies when it is full).
//
// The socket API below is what the LibOS glue (libos/net) calls; every call
// is non-blocking and returns bytes or -errno as Linux would. Blocking is the
// glue's job: it waits until SocketEvents::socket_changed and calls again.
#pragma once

#include "inet/stack.hpp"

namespace libos::inet {

class TcpConn;  // a connection's protocol state (tcp_*.cpp)

// Linux's TCP state numbers (getsockopt TCP_INFO, /proc/net/tcp).
enum class TcpState : uint8_t {
  established = 1, syn_sent, syn_recv, fin_wait1, fin_wait2, time_wait, closed, close_wait,
  last_ack, listen, closing,
};

class TcpSocket {
 public:
  // A new unbound socket, or nullptr when out of memory.
  static TcpSocket* create(Stack& stack);

  // Readiness changes go to events (nullptr: nobody listens).
  void set_events(SocketEvents* events);

  // ip 0: any local address; port 0: an ephemeral port. -EADDRINUSE (another
  // socket holds ip:port unless SO_REUSEADDR allows it, as Linux),
  // -EADDRNOTAVAIL (not our address), -EINVAL (already bound).
  long bind(uint32_t ip_net, uint16_t port);
  // Backlog bounds the connections waiting for accept (and the SYN queue).
  long listen(int backlog);
  // The oldest established connection, or nullptr with *err = -EAGAIN (none
  // yet), -EINVAL (not listening), -ENOMEM.
  TcpSocket* accept(long* err);
  // Starts the handshake: -EINPROGRESS (always: the glue waits for POLLOUT and
  // reads take_error()), -EISCONN, -EALREADY, -ENETUNREACH, -EADDRNOTAVAIL.
  long connect(uint32_t ip_net, uint16_t port);
  // Queues bytes to send: how many fitted (>0), -EAGAIN (no room), -EPIPE
  // (shut for writing; the glue raises SIGPIPE), -ENOTCONN, or the pending
  // error (-ECONNRESET...). more: MSG_MORE (hold a partial segment).
  long send(const void* buf, size_t len, bool more);
  // Writes up to len bytes straight into the send buffer: fill(ctx, dst, n)
  // stores at most n bytes at dst and returns how many (0: no more) or
  // -errno. Returns what was queued as send() does; a fill error is
  // returned when nothing was queued. This is sendfile's path: the bytes
  // are copied once, from their source into the ring.
  using FillFn = long (*)(void* ctx, void* dst, size_t n);
  long send_fill(size_t len, bool more, FillFn fill, void* ctx);
  // Which peers a listener takes (stack.hpp); before bind, -EINVAL once
  // bound (Linux: IPV6_V6ONLY after bind).
  using Family = PeerFamily;
  long set_family(Family f);
  // Ends a run of sends made with more: the held partial segment may leave
  // (Nagle and TCP_CORK still apply).
  void push();
  // Takes received bytes: how many (>0), 0 at end of stream, -EAGAIN,
  // -ENOTCONN, or the pending error. peek: MSG_PEEK.
  long recv(void* buf, size_t len, bool peek);
  // SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2. -ENOTCONN when not connected.
  long shutdown(int how);
  // The descriptor is gone. Unread bytes or linger 0: RST (as Linux);
  // otherwise FIN after the queued bytes, and the stack keeps the connection
  // (FIN_WAIT, TIME_WAIT) and frees this object itself. The caller must not
  // touch the socket afterwards.
  void close();

  // kPoll* bits that hold now.
  uint32_t poll() const;
  // SO_ERROR: the pending error (positive errno), cleared; 0 if none.
  int take_error();

  // Options.
  void set_nodelay(bool on);
  bool nodelay() const;
  void set_cork(bool on);  // TCP_CORK
  bool cork() const;
  void set_keepalive(bool on);
  bool keepalive() const;
  void set_keepalive_params(uint32_t idle_s, uint32_t interval_s, uint32_t count);
  void keepalive_params(uint32_t* idle_s, uint32_t* interval_s, uint32_t* count) const;
  void set_reuseaddr(bool on);
  bool reuseaddr() const;
  // Buffer sizes in bytes as Linux reports them (doubled on set, clamped).
  void set_rcvbuf(int bytes);
  int rcvbuf() const;
  void set_sndbuf(int bytes);
  int sndbuf() const;
  // SO_LINGER: on with 0 seconds makes close() reset the connection.
  void set_linger(bool on, int seconds);
  void linger(bool* on, int* seconds) const;
  int maxseg() const;  // TCP_MAXSEG: the MSS in use (or the default before connecting)

  size_t readable() const;  // FIONREAD / SIOCINQ
  size_t unsent() const;    // SIOCOUTQ: bytes not yet acknowledged
  TcpState state() const;
  bool listening() const;
  // Addresses in network order, ports in host order; 0 when unknown.
  uint32_t local_ip() const;
  uint16_t local_port() const;
  uint32_t peer_ip() const;
  uint16_t peer_port() const;

 private:
  friend class Tcp;
  friend class TcpConn;
  explicit TcpSocket(Stack& stack);
  ~TcpSocket();
  Stack& m_stack;
  TcpConn* m_conn = nullptr;
  SocketEvents* m_events = nullptr;
  // (helper-owned private state may be added below)
  // The socket is a thin handle: every option and all protocol state live
  // in m_conn, which exists for the socket's whole life (and may outlive it).
};

// The protocol: connection and port tables, input, timers. One per Stack.
class Tcp {
 public:
  explicit Tcp(Stack& stack);
  ~Tcp();
  // A segment for us: IPv4 header already checked; src/dst network order.
  // Checks the TCP checksum, header and options itself.
  void input(uint32_t src, uint32_t dst, const uint8_t* seg, size_t len);
  // Runs due timers at stack.now(); returns the next deadline (kNever: none).
  uint64_t run_timers();
  uint64_t next_deadline() const;
  // An ICMP error about a segment we sent (quoted: its IPv4 header + 8 bytes).
  void icmp_error(uint8_t type, uint8_t code, const uint8_t* quoted, size_t len);
  // Whether some connection still has bytes or a FIN the peer has not
  // acknowledged (the LibOS drains these before the instance exits, as a
  // kernel keeps sending after a process is gone).
  bool sending() const;
  // Snapshots (Stack::rebind): the local port of a listener (want 0: any),
  // 0 for none; and the end of every connection off the loopback.
  uint16_t listening_port(uint16_t want) const;
  void rebind();

 private:
  Stack& m_stack;
  // (helper-owned private state may be added below)
  friend class TcpSocket;
  friend class TcpConn;
  static constexpr size_t kBuckets = 1024;  // 4-tuple hash (chained)
  TcpConn* m_buckets[kBuckets] = {};
  TcpConn* m_all = nullptr;        // every connection: timers, port checks
  TcpConn* m_listeners = nullptr;  // LISTEN sockets
  uint64_t m_next_deadline = kNever;  // never later than the earliest timer
  uint64_t m_key[2] = {};             // SipHash key: ISNs and SYN cookies
  uint32_t m_embryonic = 0;           // SYN_RECV connections (all listeners)
  uint32_t m_time_wait = 0;           // connections in TIME_WAIT
  uint32_t m_conns = 0;               // all connections
  uint32_t m_port_hint = 0;           // where the ephemeral port search starts
};

}  // namespace libos::inet
