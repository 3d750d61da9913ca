#include "net_io.hpp"

#include <string.h>

#include <shoal/abi/netdev_ops.h>

namespace shoal::vmm {

using namespace shoal::abi;

namespace {
// Read size for the link: one byte more than the largest frame, so a longer
// one shows up as longer (and is dropped) instead of silently truncated.
constexpr size_t kReadCap = kNetMaxFrame + 1;
static_assert(kReadCap <= kNetSlotSize);
}  // namespace

NetIo::NetIo(void* base, FrameLink& link, std::function<void()> wake_guest)
    : m_header(static_cast<NetHeader*>(base)),
      m_base(base),
      m_link(link),
      m_wake_guest(std::move(wake_guest)),
      m_scratch(new uint8_t[kNetSlotSize]) {
  // SAFETY: the header was written by net_header_init before the guest ran;
  // from now on only our own indices are trusted, the guest's are re-checked.
  m_rx_head = m_rx_published = net_load_relaxed(&m_header->rx.head);
  m_tx_tail = net_load_relaxed(&m_header->tx.tail);
}

NetIo::~NetIo() = default;

void NetIo::set_impairment(const NetImpair& config, uint64_t seed) {
  m_impair = std::make_unique<NetImpairQueue>(config, seed);
}

NetStep NetIo::step(uint64_t now_ns) {
  NetStep s;
  transmit(s);
  if (m_impair)
    receive_impaired(s, now_ns);
  else
    receive(s, now_ns);
  return s;
}

void NetIo::transmit(NetStep& s) {
  // NOTE: the guest may change head at any time; load it once.
  uint32_t head = net_load_acquire(&m_header->tx.head);
  if (!net_ring_sane(head, m_tx_tail)) {
    // Garbage from the guest: drop whatever it claims and start over at its head.
    ++m_counters.ring_resets;
    m_tx_tail = head;
    net_store_release(&m_header->tx.tail, m_tx_tail);
    s.progress = true;
    return;
  }
  uint32_t start = m_tx_tail;
  while (m_tx_tail != head) {
    uint32_t len = net_load_relaxed(&m_header->tx.len[net_slot_of(m_tx_tail)]);  // copied once
    if (len < kNetMinFrame || len > kNetMaxFrame) {
      ++m_counters.tx_bad_len;
      ++m_tx_tail;
      continue;
    }
    // SAFETY: the slot lies inside the region and len <= kNetMaxFrame <=
    // kNetSlotSize. The guest may rewrite the bytes while the kernel copies
    // them: it then sends a garbled frame of its own, nothing more.
    auto sent = m_link.send(net_tx_slot(m_base, m_tx_tail), len);
    if (sent == FrameLink::Sent::full) {
      s.tx_blocked = true;
      break;
    }
    if (sent == FrameLink::Sent::ok) {
      ++m_counters.tx_frames;
      m_counters.tx_bytes += len;
    } else {
      ++m_counters.tx_link_errors;
    }
    ++m_tx_tail;
  }
  if (m_tx_tail == start) return;
  s.progress = true;
  net_store_release(&m_header->tx.tail, m_tx_tail);
  net_full_fence();
  // A guest that found the ring full and waits for room gets a kick.
  if (net_load_relaxed(&m_header->tx.producer_waiting) != 0) {
    ++m_counters.guest_wakes;
    m_wake_guest();
  }
}

uint32_t NetIo::rx_room() {
  uint32_t tail = net_load_acquire(&m_header->rx.tail);
  if (!net_ring_sane(m_rx_head, tail)) {
    // The guest broke its tail: empty the ring from its point of view (head
    // = its tail) rather than write its word; the frames in it are lost.
    ++m_counters.ring_resets;
    m_rx_head = tail;
    publish_rx();
  }
  return kNetSlots - net_ring_used(m_rx_head, tail);
}

bool NetIo::frame_len_ok(ssize_t n) {
  if (n >= static_cast<ssize_t>(kNetMinFrame) && n <= static_cast<ssize_t>(kNetMaxFrame)) return true;
  ++m_counters.rx_bad_len;
  return false;
}

void NetIo::deliver(const uint8_t* frame, uint32_t len) {
  // SAFETY: len <= kNetMaxFrame <= kNetSlotSize; the slot is inside the region.
  memcpy(net_rx_slot(m_base, m_rx_head), frame, len);
  net_store_relaxed(&m_header->rx.len[net_slot_of(m_rx_head)], len);
  ++m_rx_head;
  ++m_counters.rx_frames;
  m_counters.rx_bytes += len;
}

void NetIo::publish_rx() {
  if (m_rx_head == m_rx_published) return;
  m_rx_published = m_rx_head;
  net_store_release(&m_header->rx.head, m_rx_head);
  // Publish, full fence, then look: a guest that announced sleep before it
  // could see the new head gets exactly the kick it waits for.
  net_full_fence();
  if (net_load_relaxed(&m_header->rx.consumer_sleeping) != 0) {
    ++m_counters.guest_wakes;
    m_wake_guest();
  }
}

bool NetIo::wait_for_room() {
  if (!m_producer_waiting) ++m_counters.rx_ring_full;
  m_producer_waiting = true;
  net_store_relaxed(&m_header->rx.producer_waiting, 1);
  net_full_fence();
  if (rx_room() == 0) return false;
  m_producer_waiting = false;
  net_store_relaxed(&m_header->rx.producer_waiting, 0);
  return true;
}

void NetIo::receive(NetStep& s, uint64_t) {
  uint32_t room = rx_room();
  if (room > 0 && m_producer_waiting) {
    m_producer_waiting = false;
    net_store_relaxed(&m_header->rx.producer_waiting, 0);
  }
  // The frame held back while the ring was full goes first.
  if (m_pending_len > 0 && room > 0) {
    deliver(m_scratch.get(), m_pending_len);
    m_pending_len = 0;
    --room;
    s.progress = true;
  }
  // At most one ring's worth per pass, so a flooding link cannot starve tx.
  for (uint32_t budget = kNetSlots; budget > 0 && m_pending_len == 0; --budget) {
    if (room == 0) {
      // Full: read one frame aside to learn whether anything waits at all;
      // only then is the guest asked for a kick.
      ssize_t n = m_link.receive(m_scratch.get(), kReadCap);
      if (n == 0) break;
      s.progress = true;
      if (n < 0) {
        ++m_counters.rx_link_errors;
        break;
      }
      if (!frame_len_ok(n)) continue;
      m_pending_len = static_cast<uint32_t>(n);
      if (wait_for_room()) room = rx_room();
      break;
    }
    // Straight into the slot: the guest reads it only after head moves.
    uint8_t* slot = net_rx_slot(m_base, m_rx_head);
    ssize_t n = m_link.receive(slot, kReadCap);
    if (n == 0) break;
    s.progress = true;
    if (n < 0) {
      ++m_counters.rx_link_errors;
      break;
    }
    if (!frame_len_ok(n)) continue;
    net_store_relaxed(&m_header->rx.len[net_slot_of(m_rx_head)], static_cast<uint32_t>(n));
    ++m_rx_head;
    ++m_counters.rx_frames;
    m_counters.rx_bytes += static_cast<uint64_t>(n);
    --room;
  }
  publish_rx();
  if (m_pending_len > 0 && room > 0) s.progress = true;  // room appeared: go again
  s.rx_room = m_pending_len == 0;
}

void NetIo::receive_impaired(NetStep& s, uint64_t now_ns) {
  // Everything the link has goes through the impairment queue (it drops
  // when full, like netem's limit), bounded per pass.
  for (uint32_t budget = kImpairLimit; budget > 0; --budget) {
    ssize_t n = m_link.receive(m_scratch.get(), kReadCap);
    if (n == 0) break;
    s.progress = true;
    if (n < 0) {
      ++m_counters.rx_link_errors;
      break;
    }
    if (!frame_len_ok(n)) continue;
    auto verdict = m_impair->offer(m_scratch.get(), static_cast<uint32_t>(n), now_ns);
    if (verdict == NetImpairQueue::Verdict::lost) ++m_counters.impair_lost;
    if (verdict == NetImpairQueue::Verdict::queue_full) ++m_counters.impair_queue_full;
  }
  uint32_t room = rx_room();
  if (room > 0 && m_producer_waiting) {
    m_producer_waiting = false;
    net_store_relaxed(&m_header->rx.producer_waiting, 0);
  }
  uint32_t len = 0;
  while (const uint8_t* frame = m_impair->peek(now_ns, &len)) {
    if (room == 0) {
      if (wait_for_room()) {
        room = rx_room();
        continue;
      }
      break;
    }
    deliver(frame, len);
    m_impair->pop();
    --room;
    s.progress = true;
  }
  publish_rx();
  s.rx_room = true;  // keep reading: the queue absorbs (or drops) what comes
  // Due frames blocked on a full ring wait for the guest's kick, not a timer.
  s.next_due = m_producer_waiting ? UINT64_MAX : m_impair->next_due();
}

bool NetIo::prepare_sleep() {
  net_store_relaxed(&m_header->tx.consumer_sleeping, 1);
  net_full_fence();
  uint32_t head = net_load_acquire(&m_header->tx.head);
  if (head != m_tx_tail) {
    net_store_relaxed(&m_header->tx.consumer_sleeping, 0);
    return false;
  }
  return true;
}

void NetIo::sleep_done() { net_store_relaxed(&m_header->tx.consumer_sleeping, 0); }

}  // namespace shoal::vmm
