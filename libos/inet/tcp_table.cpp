// The connection table: every connection on one list (timers, port checks),
// connected ones in a 4-tuple hash, listeners on their own list; port
// binding with Linux's conflict rules and ephemeral ports 32768-60999.
#include "inet/tcp_conn.hpp"

namespace libos::inet {

namespace {

// The bucket of a 4-tuple; remote port and address vary most, so they lead.
uint64_t tuple_hash(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport) {
  uint64_t h = (uint64_t{rip} << 32 | uint32_t{rport} << 16 | lport) ^ (uint64_t{lip} * 0x9e3779b97f4a7c15ull);
  h *= 0xff51afd7ed558ccdull;
  return h >> 40;
}

}  // namespace

size_t TcpConn::bucket_of(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport) {
  static_assert((Tcp::kBuckets & (Tcp::kBuckets - 1)) == 0, "a power of two");
  return static_cast<size_t>(tuple_hash(lip, lport, rip, rport) & (Tcp::kBuckets - 1));
}

Tcp::Tcp(Stack& stack) : m_stack(stack) {
  for (auto& k : m_key) k = uint64_t{stack.random32()} << 32 | stack.random32();
  m_port_hint = stack.random32();
}

Tcp::~Tcp() {
  // Sockets still open keep a pointer to their connection; only free what
  // no socket holds (tests close their sockets before the stack goes).
  TcpConn* c = m_all;
  while (c != nullptr) {
    TcpConn* next = c->m_all_next;
    if (c->m_socket == nullptr) TcpConn::free(c);
    c = next;
  }
}

TcpConn::TcpConn(Tcp& tcp, Stack& stack) : m_tcp(tcp), m_stack(stack) {
  // Frames may point into the send ring (gather): it goes back through the device.
  m_snd.set_gather_device(&stack.device());
}
TcpConn::~TcpConn() = default;

TcpConn* TcpConn::make(Tcp& tcp) {
  if (tcp.m_conns >= kMaxConns) return nullptr;
  TcpConn* c = create<TcpConn>(tcp, tcp.m_stack);
  if (c == nullptr) return nullptr;
  c->m_all_next = tcp.m_all;
  if (tcp.m_all != nullptr) tcp.m_all->m_all_prev = c;
  tcp.m_all = c;
  ++tcp.m_conns;
  return c;
}

void TcpConn::free(TcpConn* c) {
  Tcp& tcp = c->m_tcp;
  c->hash_remove();
  if (c->m_listed) {
    for (TcpConn** p = &tcp.m_listeners; *p != nullptr; p = &(*p)->m_listen_next) {
      if (*p == c) {
        *p = c->m_listen_next;
        break;
      }
    }
    c->m_listed = false;
  }
  if (c->m_listener != nullptr) {
    TcpConn* l = c->m_listener;
    if (c->m_queued) {
      TcpConn* prev = nullptr;
      for (TcpConn* q = l->m_accept_head; q != nullptr; prev = q, q = q->m_accept_next) {
        if (q != c) continue;
        (prev ? prev->m_accept_next : l->m_accept_head) = q->m_accept_next;
        if (l->m_accept_tail == c) l->m_accept_tail = prev;
        --l->m_accept_count;
        break;
      }
    } else if (c->m_state == TcpState::syn_recv) {
      --l->m_syn_count;
      --tcp.m_embryonic;
    }
    c->m_listener = nullptr;
  }
  if (c->m_state == TcpState::time_wait) --tcp.m_time_wait;
  if (c->m_all_prev != nullptr) c->m_all_prev->m_all_next = c->m_all_next;
  else tcp.m_all = c->m_all_next;
  if (c->m_all_next != nullptr) c->m_all_next->m_all_prev = c->m_all_prev;
  --tcp.m_conns;
  destroy(c);
}

void TcpConn::hash_insert() {
  if (m_hashed) return;
  size_t b = bucket_of(m_lip, m_lport, m_rip, m_rport);
  m_hash_next = m_tcp.m_buckets[b];
  m_tcp.m_buckets[b] = this;
  m_hashed = true;
  m_stack.ip6_pin(m_rip, true);  // the key's IPv6 peer keeps its stand-in while hashed
}

void TcpConn::hash_remove() {
  if (!m_hashed) return;
  size_t b = bucket_of(m_lip, m_lport, m_rip, m_rport);
  for (TcpConn** p = &m_tcp.m_buckets[b]; *p != nullptr; p = &(*p)->m_hash_next) {
    if (*p == this) {
      *p = m_hash_next;
      break;
    }
  }
  m_hashed = false;
  m_stack.ip6_pin(m_rip, false);
}

TcpConn* TcpConn::lookup(Tcp& tcp, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport) {
  for (TcpConn* c = tcp.m_buckets[bucket_of(lip, lport, rip, rport)]; c != nullptr; c = c->m_hash_next) {
    if (c->m_rport == rport && c->m_lport == lport && c->m_rip == rip && c->m_lip == lip) return c;
  }
  return nullptr;
}

bool TcpConn::takes_peer(uint32_t rip) const { return family_takes(m_family, rip); }

bool TcpConn::family_overlaps(const TcpConn& other) const { return families_overlap(m_family, other.m_family); }

TcpConn* TcpConn::find_listener(Tcp& tcp, uint32_t lip, uint16_t lport, uint32_t rip) {
  TcpConn* any = nullptr;
  for (TcpConn* c = tcp.m_listeners; c != nullptr; c = c->m_listen_next) {
    if (c->m_lport != lport || !c->takes_peer(rip)) continue;
    if (c->m_lip == lip) return c;  // the most specific address wins
    if (c->m_lip == 0) any = c;
  }
  return any;
}

// Linux (inet_csk_bind_conflict): another socket on the port with an
// overlapping address conflicts, unless both set SO_REUSEADDR and the other
// is not listening, or ours sets it and the other is in TIME_WAIT.
bool TcpConn::bind_conflict(uint32_t ip, uint16_t port) const {
  for (TcpConn* c = m_tcp.m_all; c != nullptr; c = c->m_all_next) {
    if (c == this || !c->m_bound || c->m_lport != port || !family_overlaps(*c)) continue;
    if (c->m_lip != 0 && ip != 0 && c->m_lip != ip) continue;
    if (m_reuseaddr && c->m_state == TcpState::time_wait) continue;
    if (m_reuseaddr && c->m_reuseaddr && c->m_state != TcpState::listen) continue;
    return true;
  }
  return false;
}

long TcpConn::bind(uint32_t ip_net, uint16_t port) {
  if (m_bound) return -EINVAL;
  if (ip_net != 0 && !m_stack.is_local(ip_net)) return -EADDRNOTAVAIL;
  if (port == 0) {
    m_lip = ip_net;
    return bind_ephemeral();
  }
  if (bind_conflict(ip_net, port)) return -EADDRINUSE;
  m_lip = ip_net;
  m_lport = port;
  m_bound = true;
  return 0;
}

long TcpConn::bind_ephemeral() {
  constexpr uint32_t kRange = kEphemeralHi - kEphemeralLo + 1;
  uint32_t start = m_tcp.m_port_hint;
  for (uint32_t i = 0; i < kRange; ++i) {
    auto port = static_cast<uint16_t>(kEphemeralLo + (start + i) % kRange);
    bool used = false;
    for (TcpConn* c = m_tcp.m_all; c != nullptr && !used; c = c->m_all_next) {
      used = c != this && c->m_bound && c->m_lport == port;
    }
    if (used) continue;
    m_tcp.m_port_hint = start + i + 1;
    m_lport = port;
    m_bound = true;
    return 0;
  }
  return -EADDRNOTAVAIL;  // as Linux for connect; bind says EADDRINUSE
}

}  // namespace libos::inet
