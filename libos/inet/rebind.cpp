// A resumed snapshot moves the stack to another link (Stack::rebind in
// stack.hpp): what this file changes is everything the old link taught it.
#include "inet/arp.hpp"
#include "inet/ipv6.hpp"
#include "inet/ipv6_peers.hpp"
#include "inet/stack.hpp"
#include "inet/tcp_conn.hpp"

namespace libos::inet {

void Arp::clear() {
  for (Entry& e : m_entries) {
    if (e.state != State::free) release(e);
  }
}

void Ip6Peers::rebind() {
  const StackConfig& config = m_stack.config();
  ip6_link_local(config.mac, m_peers[kSlotLinkLocal].addr);
  if (config.ip6_prefix != 0) {
    set_static(config.ip6);
  } else {
    // An address SLAAC formed from the old MAC and the old link's prefix:
    // forgotten, the new link's routers give the next one (ip6_router_start).
    Peer& p = m_peers[kSlotStatic];
    memset(p.addr, 0, sizeof p.addr);
    p.standin = 0;
  }
  for (size_t i = kSlotStatic + 1; i < m_used_end; ++i) {
    Peer& p = m_peers[i];
    if (p.standin == 0) continue;
    PacketBuf::free_list(p.held);
    p.held = nullptr;
    p.mac_known = false;
    p.ns_sent = kNever;
  }
  if (m_router.standin != 0) unpin(m_router.standin);
  m_router = Router{};
}

uint16_t Tcp::listening_port(uint16_t want) const {
  for (const TcpConn* c = m_listeners; c != nullptr; c = c->m_listen_next) {
    if (want == 0 || c->m_lport == want) return c->m_lport;
  }
  return 0;
}

void Tcp::rebind() {
  for (auto& k : m_key) k = uint64_t{m_stack.random32()} << 32 | m_stack.random32();
  m_port_hint = m_stack.random32();
  TcpConn* c = m_all;
  while (c != nullptr) {
    TcpConn* next = c->m_all_next;
    // Connections within the instance (127/8, ::1) lose nothing with the link.
    bool local = Stack::is_loopback_addr(c->m_rip) || c->m_rip == Stack::kLoopback6Addr;
    if (c->m_state != TcpState::listen && c->m_state != TcpState::closed && !local) {
      // An unaccepted child is freed with its listener's queue entry; next
      // is never such a child of c (only listeners have children).
      (void)c->terminate(ECONNRESET);
    }
    c = next;
  }
}

uint16_t Stack::tcp_listening_port(uint16_t want) const { return m_tcp->listening_port(want); }

void Stack::rebind(const StackConfig& config) {
  memcpy(m_config.mac, config.mac, sizeof m_config.mac);
  m_config.ip = config.ip;
  m_config.prefix = config.prefix > 32 ? 32 : config.prefix;
  m_config.gateway = config.gateway;
  // IPv6: this instance's static address, or none until SLAAC forms one.
  memcpy(m_config.ip6, config.ip6, sizeof m_config.ip6);
  m_config.ip6_prefix = config.ip6_prefix;
  m_arp->clear();
  m_tcp->rebind();
  m_frag6_id = m_random32();
  if (m_ip6 != nullptr) {
    m_ip6->rebind();
    if (m_config.ip6_prefix == 0) ip6_router_start(*this);
  }
  m_table_deadline_stale = true;
  m_arp->announce();
}

}  // namespace libos::inet
