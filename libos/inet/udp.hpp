// UDP (RFC 768) for the stack: datagram sockets with a bounded receive queue,
// checksums checked and sent, ICMP port unreachable for closed ports, and
// IP fragmentation of large datagrams on output (reassembly is IPv4's).
#pragma once

#include "inet/stack.hpp"

namespace libos::inet {

class UdpSocket {
 public:
  static UdpSocket* create(Stack& stack);  // nullptr when out of memory
  void set_events(SocketEvents* events);

  long bind(uint32_t ip_net, uint16_t port);  // as TcpSocket::bind
  // Sets the default destination (and filters received datagrams to it);
  // ip 0 and port 0 (AF_UNSPEC) dissolve the association. Binds an
  // ephemeral port first if unbound.
  long connect(uint32_t ip_net, uint16_t port);
  // One datagram to ip:port (or to the connected peer when has_dst is false):
  // len on success, -EMSGSIZE (> 65507), -EDESTADDRREQ, -ENETUNREACH,
  // -EAGAIN (no room now), or the pending error (ICMP: -ECONNREFUSED).
  long sendto(const void* buf, size_t len, bool has_dst, uint32_t ip_net, uint16_t port);
  // The oldest datagram: copies up to len bytes and returns the datagram's
  // full length in *full (MSG_TRUNC), the sender in *ip_net / *port; returns
  // bytes copied, -EAGAIN when the queue is empty, or the pending error.
  long recvfrom(void* buf, size_t len, bool peek, size_t* full, uint32_t* ip_net, uint16_t* port);
  long shutdown(int how);
  void close();  // frees the socket

  uint32_t poll() const;
  int take_error();
  // Which peers the socket takes (stack.hpp): datagrams from others are not
  // for it. Before bind; -EINVAL once bound.
  long set_family(PeerFamily f);
  void set_reuseaddr(bool on);
  bool reuseaddr() const;
  void set_rcvbuf(int bytes);
  int rcvbuf() const;
  void set_sndbuf(int bytes);
  int sndbuf() const;
  size_t next_size() const;  // FIONREAD: bytes of the next datagram (0 if none)
  bool connected() const;
  uint32_t local_ip() const;
  uint16_t local_port() const;
  uint32_t peer_ip() const;
  uint16_t peer_port() const;

 private:
  friend class Udp;
  explicit UdpSocket(Stack& stack);
  ~UdpSocket();
  Stack& m_stack;
  SocketEvents* m_events = nullptr;
  // (helper-owned private state may be added below)
  struct Datagram;
  void notify(uint32_t bits);
  void deliver(uint32_t src, uint16_t sport, const uint8_t* data, size_t len);
  bool bind_ephemeral();
  void free_queue();

  UdpSocket* m_next = nullptr;  // Udp's socket list
  uint32_t m_local_ip = 0;      // network order
  uint32_t m_peer_ip = 0;       // network order
  uint16_t m_local_port = 0;
  uint16_t m_peer_port = 0;
  bool m_connected = false;
  bool m_reuseaddr = false;
  PeerFamily m_family = PeerFamily::any;
  bool m_addr_locked = false;   // the address came from bind(), not connect()
  bool m_port_locked = false;   // the port came from bind(), not an autobind
  uint8_t m_shutdown = 0;       // kShutRd | kShutWr
  int m_error = 0;              // pending error (positive errno)
  int m_rcvbuf;
  int m_sndbuf;
  Datagram* m_head = nullptr;   // receive queue, oldest first
  Datagram* m_tail = nullptr;
  size_t m_queued = 0;          // bytes charged against m_rcvbuf
};

class Udp {
 public:
  explicit Udp(Stack& stack);
  ~Udp();
  // A datagram for us: IPv4 header checked; ip_packet/ip_len is the whole IP
  // packet (for ICMP port unreachable), udp/len the UDP part.
  void input(uint32_t src, uint32_t dst, const uint8_t* udp, size_t len, const uint8_t* ip_packet,
             size_t ip_len);
  void icmp_error(uint8_t type, uint8_t code, const uint8_t* quoted, size_t len);

 private:
  Stack& m_stack;
  // (helper-owned private state may be added below)
  friend class UdpSocket;
  void link(UdpSocket* s);
  void unlink(UdpSocket* s);
  // Whether ip:port is taken for a socket with SO_REUSEADDR `reuse` (self excluded).
  bool in_use(uint32_t ip, uint16_t port, bool reuse, const UdpSocket* self) const;
  uint16_t pick_ephemeral();  // 0: none free
  UdpSocket* m_sockets = nullptr;  // most recently bound first (Linux's order for ties)
};

}  // namespace libos::inet
