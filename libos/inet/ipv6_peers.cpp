// The IPv6 stand-in table (see ipv6_peers.hpp).
#include "inet/ipv6_peers.hpp"

#include "inet/ethernet.hpp"
#include "inet/ipv6.hpp"

namespace libos::inet {
namespace {
size_t hash_of(const uint8_t a[16]) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (int i = 0; i < 16; ++i) h = (h ^ a[i]) * 16777619u;
  return (h ^ h >> 16) & (Ip6Peers::kSlots - 1);
}

uint32_t make_standin(uint16_t gen, size_t slot) {
  return hton32(0xf0000000u | uint32_t{gen} << Ip6Peers::kSlotBits | static_cast<uint32_t>(slot));
}
}  // namespace

Ip6Peers::Ip6Peers(Stack& stack) : m_stack(stack) {
  memset(m_peers, 0, sizeof(m_peers));
  // Our addresses: fixed stand-ins, never evicted.
  ip6_link_local(stack.config().mac, m_peers[kSlotLinkLocal].addr);
  m_peers[kSlotLinkLocal].standin = make_standin(0, kSlotLinkLocal);
  if (stack.config().ip6_prefix != 0) {
    memcpy(m_peers[kSlotStatic].addr, stack.config().ip6, 16);
    m_peers[kSlotStatic].standin = make_standin(0, kSlotStatic);
  }
}

Ip6Peers::~Ip6Peers() {
  for (Peer& p : m_peers) PacketBuf::free_list(p.held);
}

void Ip6Peers::release(Peer& p) {
  PacketBuf::free_list(p.held);
  p.held = nullptr;
  p.standin = 0;
  p.mac_known = false;
  p.pins = 0;
}

uint32_t Ip6Peers::standin_of(const uint8_t addr[16], bool allocate) {
  // The last hit first: a connection's packets come in runs.
  if (m_peers[m_last].standin != 0 && memcmp(m_peers[m_last].addr, addr, 16) == 0) {
    m_peers[m_last].last_used = m_stack.now();
    return m_peers[m_last].standin;
  }
  size_t h = hash_of(addr);
  if (Peer& p = m_peers[m_hint[h]]; p.standin != 0 && memcmp(p.addr, addr, 16) == 0) {
    p.last_used = m_stack.now();
    m_last = m_hint[h];
    return p.standin;
  }
  size_t free_slot = kSlots, lru = kSlots;
  for (size_t i = 0; i < kSlots; ++i) {
    Peer& p = m_peers[i];
    if (p.standin == 0) {
      if (i > kSlotStatic && free_slot == kSlots) free_slot = i;
      continue;
    }
    if (memcmp(p.addr, addr, 16) == 0) {
      p.last_used = m_stack.now();
      m_last = i;
      m_hint[h] = static_cast<uint16_t>(i);
      return p.standin;
    }
    if (i > kSlotStatic && p.pins == 0 && (lru == kSlots || p.last_used < m_peers[lru].last_used)) lru = i;
  }
  size_t victim = free_slot != kSlots ? free_slot : lru;
  if (!allocate || victim == kSlots) return 0;
  Peer& p = m_peers[victim];
  if (p.standin != 0) release(p);
  p.gen = static_cast<uint16_t>((p.gen + 1) % kGenerations);
  if (p.gen == 0) p.gen = 1;
  memcpy(p.addr, addr, 16);
  p.standin = make_standin(p.gen, victim);
  p.last_used = m_stack.now();
  p.ns_sent = kNever;
  m_last = victim;
  m_hint[h] = static_cast<uint16_t>(victim);
  if (victim >= m_used_end) m_used_end = victim + 1;
  return p.standin;
}

Ip6Peers::Peer* Ip6Peers::find(uint32_t standin) {
  if (!is_standin(standin)) return nullptr;
  Peer& p = m_peers[ntoh32(standin) & (kSlots - 1)];
  return p.standin == standin ? &p : nullptr;
}

const Ip6Peers::Peer* Ip6Peers::find(uint32_t standin) const {
  return const_cast<Ip6Peers*>(this)->find(standin);
}

bool Ip6Peers::is_ours(uint32_t standin) const {
  return standin != 0 && (standin == m_peers[kSlotLinkLocal].standin || standin == m_peers[kSlotStatic].standin);
}

void Ip6Peers::set_static(const uint8_t addr[16]) {
  Peer& p = m_peers[kSlotStatic];
  memcpy(p.addr, addr, 16);
  p.standin = make_standin(0, kSlotStatic);
}

bool Ip6Peers::join(const uint8_t group[16]) {
  Group* free_slot = nullptr;
  for (Group& g : m_groups) {
    if (g.refs != 0 && memcmp(g.addr, group, 16) == 0) {
      ++g.refs;
      return true;
    }
    if (g.refs == 0 && free_slot == nullptr) free_slot = &g;
  }
  if (free_slot == nullptr) return false;
  uint32_t id = standin_of(group, true);
  if (id == 0) return false;
  pin(id);
  memcpy(free_slot->addr, group, 16);
  free_slot->refs = 1;
  return true;
}

void Ip6Peers::leave(const uint8_t group[16]) {
  for (Group& g : m_groups) {
    if (g.refs == 0 || memcmp(g.addr, group, 16) != 0) continue;
    if (--g.refs == 0) unpin(standin_of(group, false));
    return;
  }
}

bool Ip6Peers::joined(const uint8_t group[16]) const {
  for (const Group& g : m_groups)
    if (g.refs != 0 && memcmp(g.addr, group, 16) == 0) return true;
  return false;
}

bool Ip6Peers::joined_mac(const uint8_t mac[6]) const {
  for (const Group& g : m_groups)
    if (g.refs != 0 && memcmp(g.addr + 12, mac + 2, 4) == 0) return true;
  return false;
}

void Ip6Peers::pin(uint32_t standin) {
  if (Peer* p = find(standin); p != nullptr) ++p->pins;
}

void Ip6Peers::unpin(uint32_t standin) {
  if (Peer* p = find(standin); p != nullptr && p->pins > 0) --p->pins;
}

}  // namespace libos::inet
