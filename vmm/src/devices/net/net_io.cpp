#include "net_io.hpp"

#include <string.h>

#include <optional>

#include <shoal/abi/netdev_ops.h>

namespace shoal::vmm {

using namespace shoal::abi;

namespace {
// Read size for the link: one byte more than the largest frame, so a longer
// one shows up as longer (and is dropped) instead of silently truncated.
constexpr size_t kReadCap = kNetMaxFrame + 1;
}  // namespace

NetIo::NetIo(void* base, FrameLink& link, std::function<void()> wake_guest)
    : m_header(static_cast<NetHeader*>(base)),
      m_base(base),
      m_link(link),
      m_wake_guest(std::move(wake_guest)),
      m_scratch(new uint8_t[kReadCap]) {
  // SAFETY: the header was written by net_header_init before the guest ran;
  // from now on only our own indices are trusted, the guest's are re-checked.
  m_rx_head = m_rx_published = net_load_relaxed(&m_header->rx.head);
  m_tx_tail = net_load_relaxed(&m_header->tx.tail);
  m_features = net_load_relaxed(&m_header->features);
}

NetIo::~NetIo() = default;

FrameLink::Sent FrameLink::send_pieces(const Piece* pieces, int count, size_t len, const NetSlotMeta& meta) {
  std::unique_ptr<uint8_t[]> joined(new uint8_t[len]);
  size_t at = 0;
  for (int i = 0; i < count; ++i) {
    memcpy(joined.get() + at, pieces[i].data, pieces[i].len);
    at += pieces[i].len;
  }
  return send(joined.get(), len, meta);
}

void NetIo::enable_gather(const GuestMemory* mem) {
  if (mem == nullptr || (m_features & kNetFeatureCsum) == 0) return;
  m_mem = mem;
  m_features |= kNetFeatureGather;
  net_store_relaxed(&m_header->features, m_features);
}

std::optional<FrameLink::Sent> NetIo::send_gather(uint32_t index, const NetSlotMeta& m) {
  NetGather g = net_load_gather(net_tx_slot(m_base, index));  // copied once
  if (!net_gather_ok(g, m)) return std::nullopt;
  FrameLink::Piece pieces[1 + kNetGatherSpans];
  pieces[0] = {g.head, g.head_len};
  for (uint32_t i = 0; i < g.spans; ++i) {
    // SAFETY: span() checks the range against guest memory (bounds,
    // overflow, the window's commitment); the guest may rewrite the bytes
    // while the kernel copies them, garbling only its own frame.
    auto bytes = m_mem->span(g.span[i].addr, g.span[i].len);
    if (!bytes) return std::nullopt;
    pieces[1 + i] = {bytes.value().data(), g.span[i].len};
  }
  NetSlotMeta link_meta = m;
  link_meta.flags &= static_cast<uint8_t>(~kNetFlagGather);
  auto sent = m_link.send_pieces(pieces, static_cast<int>(1 + g.spans), m.len, link_meta);
  if (sent == FrameLink::Sent::ok) ++m_counters.tx_gather_frames;
  return sent;
}

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
  // Every pass of the loop moves the tail by at least one slot: bounded by kNetSlots.
  while (m_tx_tail != head) {
    NetSlotMeta m = net_load_meta(&m_header->tx.meta[net_slot_of(m_tx_tail)]);  // copied once
    uint32_t published = head - m_tx_tail;
    if (m.flags == kNetFlagSkip) {
      uint32_t to_end = net_slots_to_end(m_tx_tail);
      if (to_end <= published) {
        m_tx_tail += to_end;
        continue;
      }
    }
    bool gather = (m.flags & kNetFlagGather) != 0;
    uint32_t slots = gather || m.len == 0 ? 1 : net_slots_for(m.len);
    // The guest never sends "already checked" frames; a frame must lie in
    // published slots and not cross the ring's end.
    if (!net_meta_ok(m, m_features) || (m.flags & kNetFlagDataValid) != 0 || slots > published ||
        slots > net_slots_to_end(m_tx_tail)) {
      ++m_counters.tx_bad_len;
      ++m_tx_tail;
      continue;
    }
    // SAFETY: the slots lie inside the ring (checked above). The guest may
    // rewrite the bytes while the kernel copies them: it then sends a
    // garbled frame of its own, nothing more (the kernel checks the headers).
    std::optional<FrameLink::Sent> sent =
        gather ? send_gather(m_tx_tail, m) : m_link.send(net_tx_slot(m_base, m_tx_tail), m.len, m);
    if (!sent) {
      ++m_counters.tx_bad_gather;
      ++m_tx_tail;
      continue;
    }
    if (*sent == FrameLink::Sent::full) {
      s.tx_blocked = true;
      break;
    }
    if (*sent == FrameLink::Sent::ok) {
      ++m_counters.tx_frames;
      m_counters.tx_bytes += m.len;
      if (m.gso_type != kNetGsoNone) ++m_counters.tx_gso_frames;
    } else {
      ++m_counters.tx_link_errors;
    }
    m_tx_tail += slots;
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

bool NetIo::rx_frame_ok(ssize_t n, NetSlotMeta* meta) {
  // DATA_VALID is only a hint: without the checksum offload the guest checks anyway.
  if ((m_features & kNetFeatureCsum) == 0) meta->flags &= static_cast<uint8_t>(~kNetFlagDataValid);
  meta->len = n > 0 && n <= static_cast<ssize_t>(kNetMaxFrame) ? static_cast<uint32_t>(n) : 0;
  meta->reserved = 0;
  if (meta->len != 0 && net_meta_ok(*meta, m_features)) return true;
  ++m_counters.rx_bad_len;
  return false;
}

bool NetIo::deliver(const uint8_t* frame, const NetSlotMeta& meta) {
  uint32_t slots = net_slots_for(meta.len);
  bool skip = false;
  if (net_plan_put(m_rx_head, rx_room(), slots, &skip) == 0) return false;
  if (skip) {
    NetSlotMeta marker{};
    marker.flags = kNetFlagSkip;
    net_store_meta(&m_header->rx.meta[net_slot_of(m_rx_head)], marker);
    m_rx_head += net_slots_to_end(m_rx_head);
  }
  // SAFETY: the frame's slots are consecutive inside the ring (no wrap:
  // net_plan_put) and free (the guest gave them back).
  memcpy(net_rx_slot(m_base, m_rx_head), frame, meta.len);
  net_store_meta(&m_header->rx.meta[net_slot_of(m_rx_head)], meta);
  m_rx_head += slots;
  ++m_counters.rx_frames;
  m_counters.rx_bytes += meta.len;
  if (meta.gso_type != kNetGsoNone) ++m_counters.rx_gso_frames;
  return true;
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

bool NetIo::wait_for_room(uint32_t len) {
  uint32_t slots = net_slots_for(len);
  bool skip = false;
  if (!m_producer_waiting) ++m_counters.rx_ring_full;
  m_producer_waiting = true;
  net_store_relaxed(&m_header->rx.producer_waiting, 1);
  net_full_fence();
  if (net_plan_put(m_rx_head, rx_room(), slots, &skip) == 0) return false;
  m_producer_waiting = false;
  net_store_relaxed(&m_header->rx.producer_waiting, 0);
  return true;
}

void NetIo::receive(NetStep& s, uint64_t) {
  if (m_producer_waiting && rx_room() > 0) {
    m_producer_waiting = false;
    net_store_relaxed(&m_header->rx.producer_waiting, 0);
  }
  // At most one ring's worth per pass, so a flooding link cannot starve tx.
  // The frame held back while the ring was full goes first.
  for (uint32_t budget = kNetSlots; budget > 0; --budget) {
    if (m_pending_len == 0) {
      NetSlotMeta meta{};
      ssize_t n = m_link.receive(m_scratch.get(), kReadCap, &meta);
      if (n == 0) break;
      s.progress = true;
      if (n < 0) {
        ++m_counters.rx_link_errors;
        break;
      }
      if (!rx_frame_ok(n, &meta)) continue;
      m_pending_len = meta.len;
      m_pending_meta = meta;
    }
    if (deliver(m_scratch.get(), m_pending_meta)) {
      m_pending_len = 0;
      s.progress = true;
      continue;
    }
    // No room: ask the guest for a kick when it frees slots; go on if room
    // appeared meanwhile (announcement withdrawn).
    if (!wait_for_room(m_pending_len)) break;
  }
  publish_rx();
  s.rx_room = m_pending_len == 0;
}

void NetIo::receive_impaired(NetStep& s, uint64_t now_ns) {
  // Everything the link has goes through the impairment queue (it drops
  // when full, like netem's limit), bounded per pass.
  for (uint32_t budget = kImpairLimit; budget > 0; --budget) {
    NetSlotMeta meta{};
    ssize_t n = m_link.receive(m_scratch.get(), kReadCap, &meta);
    if (n == 0) break;
    s.progress = true;
    if (n < 0) {
      ++m_counters.rx_link_errors;
      break;
    }
    if (!rx_frame_ok(n, &meta)) continue;
    if (meta.len > kNetMaxPlainFrame || meta.flags != 0) {
      ++m_counters.rx_bad_len;  // offloads are off under impairment
      continue;
    }
    auto verdict = m_impair->offer(m_scratch.get(), meta.len, now_ns);
    if (verdict == NetImpairQueue::Verdict::lost) ++m_counters.impair_lost;
    if (verdict == NetImpairQueue::Verdict::queue_full) ++m_counters.impair_queue_full;
  }
  if (m_producer_waiting && rx_room() > 0) {
    m_producer_waiting = false;
    net_store_relaxed(&m_header->rx.producer_waiting, 0);
  }
  uint32_t len = 0;
  while (const uint8_t* frame = m_impair->peek(now_ns, &len)) {
    NetSlotMeta meta{};
    meta.len = len;
    if (!deliver(frame, meta)) {
      if (wait_for_room(len)) continue;
      break;
    }
    m_impair->pop();
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
