#include "inet/arp.hpp"

#include "inet/stack.hpp"

namespace libos::inet {

namespace {
constexpr size_t kArpLen = 28;        // Ethernet/IPv4 ARP packet
constexpr size_t kMinFrame = 60;      // Ethernet minimum without FCS: ARP frames are padded
constexpr uint16_t kOpRequest = 1, kOpReply = 2;
constexpr uint8_t kZeroMac[6] = {};
}  // namespace

Arp::Arp(Stack& stack) : m_stack(stack) {}

Arp::~Arp() {
  for (Entry& e : m_entries) PacketBuf::free_list(e.queue);
}

Arp::Entry* Arp::find(uint32_t ip) {
  for (Entry& e : m_entries)
    if (e.state != State::free && e.ip == ip) return &e;
  return nullptr;
}

const Arp::Entry* Arp::find(uint32_t ip) const {
  for (const Entry& e : m_entries)
    if (e.state != State::free && e.ip == ip) return &e;
  return nullptr;
}

Arp::State Arp::state_of(uint32_t ip) const {
  const Entry* e = find(ip);
  return e == nullptr ? State::free : e->state;
}

// A free entry, or the oldest one evicted: the cache is bounded, and a
// stale neighbour costs one more request when it talks again.
Arp::Entry* Arp::allocate(uint32_t ip) {
  Entry* victim = nullptr;
  for (Entry& e : m_entries) {
    if (e.state == State::free) {
      victim = &e;
      break;
    }
    if (victim == nullptr || e.confirmed < victim->confirmed) victim = &e;
  }
  release(*victim);
  *victim = Entry{};
  victim->ip = ip;
  victim->next_request = kNever;
  victim->confirmed = m_stack.now();
  return victim;
}

void Arp::release(Entry& e) {
  for (PacketBuf* p = e.queue; p != nullptr; p = p->next) ++m_stack.stats().arp_queue_drops;
  PacketBuf::free_list(e.queue);
  e = Entry{};
}

void Arp::learn(Entry& e, const uint8_t* mac) {
  memcpy(e.mac, mac, 6);
  e.state = State::reachable;
  e.confirmed = m_stack.now();
  e.expires = m_stack.now() + kLifetime;
  e.tries = 0;
  e.next_request = kNever;
  flush(e);
}

// Sends what waited for this neighbour, oldest first.
void Arp::flush(Entry& e) {
  PacketBuf* p = e.queue;
  e.queue = e.queue_tail = nullptr;
  e.queue_packets = e.queue_bytes = 0;
  while (p != nullptr) {
    PacketBuf* next = p->next;
    memcpy(p->frame(), e.mac, 6);
    uint8_t* out = m_stack.device().tx_buffer();
    if (out == nullptr) {
      ++m_stack.stats().tx_no_room;
    } else {
      memcpy(out, p->frame(), p->len);
      m_stack.device().tx_commit(p->len);
      ++m_stack.stats().tx_frames;
    }
    mem_free(p);
    p = next;
  }
}

void Arp::send(uint16_t op, const uint8_t* dst_mac, const uint8_t* target_mac, uint32_t target_ip) {
  const StackConfig& cfg = m_stack.config();
  uint8_t* f = m_stack.device().tx_buffer();
  if (f == nullptr) {
    ++m_stack.stats().tx_no_room;
    return;
  }
  eth_write(f, dst_mac, cfg.mac, kEtherArp);
  uint8_t* p = f + kEthHeader;
  store16(p, 1);  // Ethernet
  store16(p + 2, kEtherIpv4);
  p[4] = 6;
  p[5] = 4;
  store16(p + 6, op);
  memcpy(p + 8, cfg.mac, 6);
  store_addr(p + 14, cfg.ip);
  memcpy(p + 18, target_mac, 6);
  store_addr(p + 24, target_ip);
  memset(f + kEthHeader + kArpLen, 0, kMinFrame - kEthHeader - kArpLen);
  m_stack.device().tx_commit(kMinFrame);
  ++m_stack.stats().tx_frames;
}

void Arp::announce() {
  if (m_stack.config().ip != 0) send(kOpRequest, kBroadcastMac, kZeroMac, m_stack.config().ip);
}

void Arp::input(const uint8_t* p, size_t len) {
  StackStats& st = m_stack.stats();
  if (len < kArpLen || load16(p) != 1 || load16(p + 2) != kEtherIpv4 || p[4] != 6 || p[5] != 4) {
    ++st.rx_bad_arp;
    return;
  }
  uint16_t op = load16(p + 6);
  const uint8_t* sha = p + 8;
  uint32_t spa = load_addr(p + 14);
  uint32_t tpa = load_addr(p + 24);
  uint32_t ours = m_stack.config().ip;
  if ((op != kOpRequest && op != kOpReply) || mac_is_group(sha) || mac_is_zero(sha) ||
      spa == 0xffffffffu) {
    ++st.rx_bad_arp;
    return;
  }
  if (ours == 0 || mac_equal(sha, m_stack.config().mac)) return;  // unconfigured, or our own echo
  if (spa == ours) {
    ++st.rx_bad_arp;  // someone else claims our address: never learn it
    return;
  }
  bool for_us = tpa == ours;
  // RFC 826 "merge": refresh a neighbour we know; learn a new one only when
  // it talks to us (so a flood of foreign ARP does not churn the cache).
  if (spa != 0) {
    Entry* e = find(spa);
    if (e == nullptr && for_us && op == kOpRequest) e = allocate(spa);
    if (e != nullptr) learn(*e, sha);
  }
  if (for_us && op == kOpRequest) {
    send(kOpReply, sha, sha, spa);
    ++st.arp_requests_answered;
  }
}

bool Arp::lookup(uint32_t ip, uint8_t mac[6]) {
  Entry* e = find(ip);
  if (e == nullptr || e->state != State::reachable) return false;
  uint64_t now = m_stack.now();
  e->last_used = now;
  // In use near the end of its life: confirm it again while the MAC we know
  // keeps working, so a busy connection never stalls on resolution.
  if (now + kRefreshLead >= e->expires && e->tries == 0) {
    send(kOpRequest, kBroadcastMac, kZeroMac, ip);
    e->tries = 1;
    e->next_request = now + kRetry;
  }
  memcpy(mac, e->mac, 6);
  return true;
}

void Arp::enqueue(uint32_t ip, PacketBuf* buf) {
  buf->next = nullptr;
  Entry* e = find(ip);
  if (e != nullptr && e->state == State::reachable) {
    // Resolved since the caller looked: send now.
    e->queue = e->queue_tail = buf;
    flush(*e);
    return;
  }
  if (e == nullptr) {
    e = allocate(ip);
    e->state = State::incomplete;
    send(kOpRequest, kBroadcastMac, kZeroMac, ip);
    e->tries = 1;
    e->next_request = m_stack.now() + kRetry;
  }
  size_t cost = buf->len + kBufOverhead;
  if (e->queue_packets >= kQueuePackets || e->queue_bytes + cost > kQueueBytes) {
    ++m_stack.stats().arp_queue_drops;
    mem_free(buf);
    return;
  }
  if (e->queue_tail != nullptr)
    e->queue_tail->next = buf;
  else
    e->queue = buf;
  e->queue_tail = buf;
  ++e->queue_packets;
  e->queue_bytes += cost;
}

uint64_t Arp::run_timers() {
  uint64_t now = m_stack.now();
  for (Entry& e : m_entries) {
    if (e.state == State::free) continue;
    if (e.state == State::reachable && now >= e.expires) {
      release(e);
      continue;
    }
    if (e.next_request > now) continue;
    if (e.tries >= kTries) {
      if (e.state == State::incomplete)
        release(e);  // unanswered: the queued packets are lost (TCP retransmits)
      else
        e.next_request = kNever;  // refresh failed: the entry lives out its lifetime
      continue;
    }
    send(kOpRequest, kBroadcastMac, kZeroMac, e.ip);
    ++e.tries;
    e.next_request = now + kRetry;
  }
  return next_deadline();
}

uint64_t Arp::next_deadline() const {
  uint64_t next = kNever;
  for (const Entry& e : m_entries) {
    if (e.state == State::free) continue;
    if (e.next_request < next) next = e.next_request;
    if (e.state == State::reachable && e.expires < next) next = e.expires;
  }
  return next;
}

}  // namespace libos::inet
