#include "net_impair.hpp"

#include <string.h>

#include <shoal/abi/netdev.h>

namespace shoal::vmm {

using shoal::abi::kNetMaxPlainFrame;

NetImpairQueue::NetImpairQueue(const NetImpair& config, uint64_t seed)
    : m_config(config),
      m_state(seed),
      m_bytes(uint64_t{2} * kImpairLimit * kNetMaxPlainFrame),
      m_len(2 * kImpairLimit),
      m_due(2 * kImpairLimit) {}

// splitmix64: small, fast, and fully determined by the seed.
uint64_t NetImpairQueue::next_random() {
  uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

bool NetImpairQueue::chance(uint32_t ppm) {
  if (ppm == 0) return false;
  return next_random() % 1000000 < ppm;
}

// Entry i of a FIFO whose ring starts at slot `base` (0 or kImpairLimit).
uint32_t NetImpairQueue::slot_of(const Fifo& f, uint32_t i, uint32_t base) const {
  return base + (f.first + i) % kImpairLimit;
}

void NetImpairQueue::push(Fifo& f, uint32_t base, const uint8_t* frame, uint32_t len, uint64_t due) {
  uint32_t s = slot_of(f, f.count, base);
  memcpy(&m_bytes[uint64_t{s} * kNetMaxPlainFrame], frame, len);
  m_len[s] = len;
  m_due[s] = due;
  ++f.count;
}

NetImpairQueue::Verdict NetImpairQueue::offer(const uint8_t* frame, uint32_t len, uint64_t now_ns) {
  if (len > kNetMaxPlainFrame) return Verdict::lost;
  if (chance(m_config.loss_ppm)) return Verdict::lost;
  if (size() >= kImpairLimit) return Verdict::queue_full;
  // netem: with a delay, a `reorder` share skips it (and overtakes).
  bool at_once = m_config.delay_ms == 0 || chance(m_config.reorder_ppm);
  if (at_once)
    push(m_now, 0, frame, len, now_ns);
  else
    push(m_held, kImpairLimit, frame, len, now_ns + uint64_t{m_config.delay_ms} * 1000000);
  return Verdict::queued;
}

const uint8_t* NetImpairQueue::peek(uint64_t now_ns, uint32_t* len) const {
  uint32_t s;
  if (m_now.count > 0) {
    s = slot_of(m_now, 0, 0);
  } else if (m_held.count > 0 && m_due[slot_of(m_held, 0, kImpairLimit)] <= now_ns) {
    s = slot_of(m_held, 0, kImpairLimit);
  } else {
    return nullptr;
  }
  *len = m_len[s];
  return &m_bytes[uint64_t{s} * kNetMaxPlainFrame];
}

void NetImpairQueue::pop() {
  Fifo& f = m_now.count > 0 ? m_now : m_held;
  if (f.count == 0) return;
  f.first = (f.first + 1) % kImpairLimit;
  --f.count;
}

uint64_t NetImpairQueue::next_due() const {
  if (m_now.count > 0) return 0;
  if (m_held.count > 0) return m_due[slot_of(m_held, 0, kImpairLimit)];
  return UINT64_MAX;
}

}  // namespace shoal::vmm
