// UdpSocket: the datagram socket API the LibOS glue calls, with Linux's
// semantics (errors, autobind, SO_RCVBUF accounting, shutdown, poll bits).
#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/ipv4.hpp"
#include "inet/udp_queue.hpp"

namespace libos::inet {

UdpSocket* UdpSocket::create(Stack& stack) {
  void* mem = mem_alloc(sizeof(UdpSocket));
  if (mem == nullptr) return nullptr;
  auto* s = new (mem) UdpSocket(stack);
  stack.udp().link(s);
  return s;
}

UdpSocket::UdpSocket(Stack& stack) : m_stack(stack), m_rcvbuf(kBufDefault), m_sndbuf(kBufDefault) {}

UdpSocket::~UdpSocket() { free_queue(); }

void UdpSocket::close() {
  m_stack.udp().unlink(this);
  if (m_connected) m_stack.ip6_pin(m_peer_ip, false);
  this->~UdpSocket();
  mem_free(this);
}

void UdpSocket::free_queue() {
  while (m_head != nullptr) {
    Datagram* next = m_head->next;
    mem_free(m_head);
    m_head = next;
  }
  m_tail = nullptr;
  m_queued = 0;
}

void UdpSocket::set_events(SocketEvents* events) { m_events = events; }

void UdpSocket::notify(uint32_t bits) {
  if (m_events != nullptr) m_events->socket_changed(bits);
}

void UdpSocket::deliver(uint32_t src, uint16_t sport, const uint8_t* data, size_t len) {
  size_t charge = len + kDatagramOverhead;
  // The first datagram always fits (as Linux: a tiny SO_RCVBUF still
  // receives); after that the queue stays within SO_RCVBUF.
  if (m_head != nullptr && m_queued + charge > static_cast<size_t>(m_rcvbuf)) {
    ++m_stack.stats().udp_rcvbuf_drops;
    return;
  }
  auto* d = static_cast<Datagram*>(mem_alloc(sizeof(Datagram) + len));
  if (d == nullptr) {
    ++m_stack.stats().udp_rcvbuf_drops;
    return;
  }
  d->src = src;
  d->sport = sport;
  d->len = len;
  d->charge = charge;
  memcpy(d->data(), data, len);
  if (m_tail != nullptr)
    m_tail->next = d;
  else
    m_head = d;
  m_tail = d;
  m_queued += charge;
  notify(kPollIn | kPollRdNorm);
}

bool UdpSocket::bind_ephemeral() {
  uint16_t port = m_stack.udp().pick_ephemeral();
  if (port == 0) return false;
  m_local_port = port;
  return true;
}

long UdpSocket::set_family(PeerFamily f) {
  if (m_local_port != 0) return -EINVAL;
  m_family = f;
  return 0;
}

long UdpSocket::bind(uint32_t ip_net, uint16_t port) {
  const StackConfig& cfg = m_stack.config();
  if (m_local_port != 0) return -EINVAL;
  if (ip_net != 0 && !m_stack.is_local(ip_net) && !is_broadcast(cfg, ip_net)) return -EADDRNOTAVAIL;
  if (port == 0) {
    m_local_ip = ip_net;
    if (!bind_ephemeral()) {
      m_local_ip = 0;
      return -EADDRINUSE;
    }
  } else {
    if (m_stack.udp().in_use(ip_net, port, m_reuseaddr, this)) return -EADDRINUSE;
    m_local_port = port;
    m_port_locked = true;
  }
  m_local_ip = ip_net;
  m_addr_locked = ip_net != 0;
  // Most recently bound first: Linux delivers to it among equals.
  m_stack.udp().unlink(this);
  m_stack.udp().link(this);
  return 0;
}

long UdpSocket::connect(uint32_t ip_net, uint16_t port) {
  if (ip_net == 0 && port == 0) {
    // AF_UNSPEC: dissolve the association; an address or port that only
    // connect() chose is given back (Linux's udp_disconnect).
    if (m_connected) m_stack.ip6_pin(m_peer_ip, false);
    m_connected = false;
    m_peer_ip = 0;
    m_peer_port = 0;
    if (!m_addr_locked) m_local_ip = 0;
    if (!m_port_locked) m_local_port = 0;
    return 0;
  }
  if (!m_stack.routable(ip_net)) return -ENETUNREACH;
  if (m_local_port == 0 && !bind_ephemeral()) return -EAGAIN;
  if (m_local_ip == 0) m_local_ip = m_stack.source_for(ip_net);
  // The peer's IPv6 stand-in stays its own while the socket names it.
  m_stack.ip6_pin(ip_net, true);
  if (m_connected) m_stack.ip6_pin(m_peer_ip, false);
  m_peer_ip = ip_net;
  m_peer_port = port;
  m_connected = true;
  return 0;
}

long UdpSocket::sendto(const void* buf, size_t len, bool has_dst, uint32_t ip_net, uint16_t port) {
  if (len > kUdpMaxPayload6) return -EMSGSIZE;
  if (!has_dst) {
    if (!m_connected) return -EDESTADDRREQ;
    ip_net = m_peer_ip;
    port = m_peer_port;
  } else if (port == 0) {
    return -EINVAL;
  }
  // IPv6's payload length leaves 65527 bytes for UDP data, IPv4's total
  // length 65507.
  if (len > kUdpMaxPayload && !Stack::is_v6_standin(ip_net)) return -EMSGSIZE;
  if (!m_stack.routable(ip_net)) return -ENETUNREACH;
  if (m_error != 0) return -take_error();
  if ((m_shutdown & kShutWr) != 0) return -EPIPE;
  if (m_local_port == 0 && !bind_ephemeral()) return -EAGAIN;
  size_t ulen = kUdpHeader + len;
  IpTx tx;
  uint8_t* out = m_stack.ip_begin(ip_net, kProtoUdp, ulen, &tx);
  // No room in the device (or no memory): the datagram is lost, as when a
  // Linux qdisc overflows; UDP promises no delivery and a blocking sender
  // must not wait for room nobody would announce.
  if (out == nullptr) return static_cast<long>(len);
  store16(out, m_local_port);
  store16(out + 2, port);
  store16(out + 4, static_cast<uint16_t>(ulen));
  store16(out + 6, 0);
  if (len > 0) memcpy(out + kUdpHeader, buf, len);
  uint16_t sum = csum_fold(csum_add(
      csum_pseudo(m_stack.source_for(ip_net), ip_net, kProtoUdp, static_cast<uint16_t>(ulen)), out, ulen));
  if (sum == 0) sum = 0xffff;  // 0 would mean "no checksum"
  memcpy(out + 6, &sum, 2);
  m_stack.ip_commit(&tx);
  return static_cast<long>(len);
}

long UdpSocket::recvfrom(void* buf, size_t len, bool peek, size_t* full, uint32_t* ip_net,
                         uint16_t* port) {
  if (m_error != 0) return -take_error();
  Datagram* d = m_head;
  if (d == nullptr) {
    if ((m_shutdown & kShutRd) != 0) {
      if (full != nullptr) *full = 0;
      return 0;
    }
    return -EAGAIN;
  }
  size_t n = len < d->len ? len : d->len;
  if (n > 0) memcpy(buf, d->data(), n);
  if (full != nullptr) *full = d->len;
  if (ip_net != nullptr) *ip_net = d->src;
  if (port != nullptr) *port = d->sport;
  if (!peek) {
    m_head = d->next;
    if (m_head == nullptr) m_tail = nullptr;
    m_queued -= d->charge;
    mem_free(d);
  }
  return static_cast<long>(n);
}

long UdpSocket::shutdown(int how) {
  if (how < 0 || how > 2) return -EINVAL;
  // Linux marks the shutdown even on an unconnected socket (waking pollers)
  // and then reports ENOTCONN.
  m_shutdown |= static_cast<uint8_t>(how + 1);
  notify(poll());
  return m_connected ? 0 : -ENOTCONN;
}

uint32_t UdpSocket::poll() const {
  uint32_t mask = kPollOut | kPollWrNorm;  // nothing is held for sending
  if (m_error != 0) mask |= kPollErr;
  if ((m_shutdown & kShutRd) != 0) mask |= kPollRdHup | kPollIn | kPollRdNorm;
  if (m_shutdown == (kShutRd | kShutWr)) mask |= kPollHup;
  if (m_head != nullptr) mask |= kPollIn | kPollRdNorm;
  return mask;
}

int UdpSocket::take_error() {
  int e = m_error;
  m_error = 0;
  return e;
}

void UdpSocket::set_reuseaddr(bool on) { m_reuseaddr = on; }
bool UdpSocket::reuseaddr() const { return m_reuseaddr; }

namespace {
int clamp_buf(int bytes, int minimum) {
  // Linux clamps the request (as unsigned) to the maximum, then doubles it.
  uint32_t v = static_cast<uint32_t>(bytes);
  if (v > static_cast<uint32_t>(kBufMax)) v = kBufMax;
  int doubled = static_cast<int>(v) * 2;
  return doubled < minimum ? minimum : doubled;
}
}  // namespace

void UdpSocket::set_rcvbuf(int bytes) { m_rcvbuf = clamp_buf(bytes, kMinRcvbuf); }
int UdpSocket::rcvbuf() const { return m_rcvbuf; }
void UdpSocket::set_sndbuf(int bytes) { m_sndbuf = clamp_buf(bytes, kMinSndbuf); }
int UdpSocket::sndbuf() const { return m_sndbuf; }
size_t UdpSocket::next_size() const { return m_head != nullptr ? m_head->len : 0; }
bool UdpSocket::connected() const { return m_connected; }
uint32_t UdpSocket::local_ip() const { return m_local_ip; }
uint16_t UdpSocket::local_port() const { return m_local_port; }
uint32_t UdpSocket::peer_ip() const { return m_connected ? m_peer_ip : 0; }
uint16_t UdpSocket::peer_port() const { return m_connected ? m_peer_port : 0; }

}  // namespace libos::inet
