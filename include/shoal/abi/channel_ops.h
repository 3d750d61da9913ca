// shoal guest ABI: operations on the channel region (see channel.h).
//
// Header-only and freestanding (only <stdint.h>, __atomic builtins and
// __builtin_memcpy): the host library (pool/channel) and the LibOS both use
// these functions, so the two sides agree on every memory order and every
// state transition by construction.
//
// Trust. Each side treats the other as hostile. Nothing here trusts a value
// read from the region for memory safety:
//   - geometry (slot count, ring size, offsets) is validated once into a
//     ChannelView and never re-read from the header afterwards;
//   - ring offsets are masked with the (validated, power-of-two) ring size,
//     so a corrupt head or tail can garble a stream but never reach outside
//     its ring; used = head - tail > size is reported as kRingCorrupt;
//   - slot states are only moved by compare-and-swap; a side keeps its own
//     idea of what it owns (the host library shadows every slot) and treats a
//     state it did not expect as a reset of that one connection.
// Every shared word is read exactly once per decision (an __atomic load into a
// local): the peer may change it between two reads.
#pragma once

#include <stdint.h>

#include "shoal/abi/channel.h"

namespace shoal::abi {

// ---- Geometry ----------------------------------------------------------------

// Which side of the channel a caller plays. Picks the ring it produces into,
// the flags word it owns and its bit in `released`.
enum ChannelSide : uint32_t {
  kSideHost = 0,
  kSideGuest = 1,
};

// A validated, private copy of the region's geometry. Build it once (the host
// from the values it chose, the guest from the header at boot) and pass it to
// every accessor; the header's own fields are never consulted again.
struct ChannelView {
  uint8_t* base;
  uint64_t size;         // bytes mapped at base
  uint64_t data_offset;  // channel_data_offset(slot_count)
  uint32_t slot_count;
  uint32_t ring_size;
};

inline constexpr bool channel_ring_size_valid(uint32_t ring_size) {
  return ring_size >= kMinRingSize && ring_size <= kMaxRingSize && (ring_size & (ring_size - 1)) == 0;
}

inline constexpr bool channel_slot_count_valid(uint32_t slot_count) {
  return slot_count >= 2 && slot_count <= kMaxChannelSlots && slot_count % 2 == 0;
}

// Geometry parameters are consistent, within kMaxChannelRegionSize, and fit in
// `mapped` bytes.
inline constexpr bool channel_geometry_valid(uint32_t slot_count, uint32_t ring_size, uint64_t mapped) {
  return channel_slot_count_valid(slot_count) && channel_ring_size_valid(ring_size) &&
         channel_region_size(slot_count, ring_size) <= kMaxChannelRegionSize &&
         channel_region_size(slot_count, ring_size) <= mapped;
}

// Builds a view from parameters the caller chose itself (the host creating
// the region). Returns false if they are inconsistent with `mapped`.
inline bool channel_view_make(ChannelView* view, void* base, uint64_t mapped, uint32_t slot_count,
                              uint32_t ring_size) {
  if (base == nullptr || !channel_geometry_valid(slot_count, ring_size, mapped)) return false;
  view->base = static_cast<uint8_t*>(base);
  view->size = mapped;
  view->data_offset = channel_data_offset(slot_count);
  view->slot_count = slot_count;
  view->ring_size = ring_size;
  return true;
}

// Builds a view from the header found in a mapped region (the guest at boot,
// the monitor validating the memfd). Every header field is read once and
// checked: magic, version, slot count, ring size, service count, the recorded
// data offset and region size.
inline bool channel_view_from_header(ChannelView* view, void* base, uint64_t mapped) {
  if (base == nullptr || mapped < kChannelHeaderSize) return false;
  const ChannelHeader* h = static_cast<const ChannelHeader*>(base);
  uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
  uint32_t version = __atomic_load_n(&h->version, __ATOMIC_RELAXED);
  uint32_t slot_count = __atomic_load_n(&h->slot_count, __ATOMIC_RELAXED);
  uint32_t ring_size = __atomic_load_n(&h->ring_size, __ATOMIC_RELAXED);
  uint32_t service_count = __atomic_load_n(&h->service_count, __ATOMIC_RELAXED);
  uint64_t data_offset = __atomic_load_n(&h->data_offset, __ATOMIC_RELAXED);
  uint64_t region_size = __atomic_load_n(&h->region_size, __ATOMIC_RELAXED);
  if (magic != kChannelMagic || version != kChannelVersion) return false;
  if (service_count > kMaxServices) return false;
  if (!channel_geometry_valid(slot_count, ring_size, mapped)) return false;
  if (data_offset != channel_data_offset(slot_count)) return false;
  if (region_size != channel_region_size(slot_count, ring_size) || region_size > mapped) return false;
  return channel_view_make(view, base, mapped, slot_count, ring_size);
}

inline ChannelHeader* channel_header(const ChannelView* view) {
  // SAFETY: a view is only built over >= kChannelHeaderSize mapped bytes.
  return reinterpret_cast<ChannelHeader*>(view->base);
}

// Slot `index`'s header, or nullptr when index is out of range.
inline ChannelSlot* channel_slot(const ChannelView* view, uint32_t index) {
  if (index >= view->slot_count) return nullptr;
  uint64_t off = kChannelHeaderSize + uint64_t{index} * kSlotHeaderSize;
  if (off + kSlotHeaderSize > view->data_offset || view->data_offset > view->size) return nullptr;
  // SAFETY: [off, off + kSlotHeaderSize) lies below data_offset <= size.
  return reinterpret_cast<ChannelSlot*>(view->base + off);
}

// Index of a slot header pointer obtained from channel_slot().
inline uint32_t channel_slot_index(const ChannelView* view, const ChannelSlot* slot) {
  uint64_t off = static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(slot) - view->base);
  return static_cast<uint32_t>((off - kChannelHeaderSize) / kSlotHeaderSize);
}

// Host-opened slots are [0, slot_count/2), guest-opened ones the rest.
inline uint32_t channel_host_slots_begin(const ChannelView*) { return 0; }
inline uint32_t channel_host_slots_end(const ChannelView* view) { return view->slot_count / 2; }
inline uint32_t channel_guest_slots_begin(const ChannelView* view) { return view->slot_count / 2; }
inline uint32_t channel_guest_slots_end(const ChannelView* view) { return view->slot_count; }

// The ring_size data bytes of slot `index`'s ring toward `to` (kSideGuest:
// to_guest, kSideHost: to_host), or nullptr when out of range.
inline uint8_t* channel_ring_data(const ChannelView* view, uint32_t index, ChannelSide to) {
  if (index >= view->slot_count) return nullptr;
  uint64_t off = view->data_offset + (uint64_t{index} * 2 + (to == kSideHost ? 1 : 0)) * view->ring_size;
  if (off < view->data_offset || off + view->ring_size > view->size) return nullptr;
  // SAFETY: [off, off + ring_size) was just checked against the mapping.
  return view->base + off;
}

// What one side sees of one slot: the ring it produces into (tx), the ring it
// consumes (rx), and their data areas. All pointers are checked; valid ==
// false when index is out of range.
struct ChannelEnd {
  ChannelSlot* slot;
  ChannelRing* tx;
  ChannelRing* rx;
  uint8_t* tx_data;
  uint8_t* rx_data;
  uint32_t ring_size;
  ChannelSide side;
  bool valid;
};

inline ChannelEnd channel_end(const ChannelView* view, uint32_t index, ChannelSide side) {
  ChannelEnd e{};
  e.slot = channel_slot(view, index);
  ChannelSide peer = side == kSideHost ? kSideGuest : kSideHost;
  e.tx_data = channel_ring_data(view, index, peer);
  e.rx_data = channel_ring_data(view, index, side);
  e.ring_size = view->ring_size;
  e.side = side;
  e.valid = e.slot != nullptr && e.tx_data != nullptr && e.rx_data != nullptr;
  if (e.valid) {
    e.tx = side == kSideHost ? &e.slot->to_guest : &e.slot->to_host;
    e.rx = side == kSideHost ? &e.slot->to_host : &e.slot->to_guest;
  }
  return e;
}

// ---- Rings -------------------------------------------------------------------
// Single producer, single consumer. The producer copies bytes then publishes
// `head` with a release store; the consumer loads `head` with acquire, copies,
// then publishes `tail` with release (so the producer never overwrites bytes
// still being read). Offsets are masked with size - 1: `size` must be the
// view's validated ring size (a power of two).

inline constexpr int64_t kRingCorrupt = -1;  // used > size: the peer broke the ring

// Bytes the consumer may read, or kRingCorrupt.
inline int64_t ring_readable(const ChannelRing* r, uint32_t size) {
  uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
  uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
  uint32_t used = head - tail;
  return used > size ? kRingCorrupt : int64_t{used};
}

// Bytes the producer may write, or kRingCorrupt.
inline int64_t ring_space(const ChannelRing* r, uint32_t size) {
  uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
  uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
  uint32_t used = head - tail;
  return used > size ? kRingCorrupt : int64_t{size - used};
}

// Copies up to len bytes from src into the ring (partial when it fills up;
// wraps around the end). Returns bytes copied (0 = full) or kRingCorrupt.
inline int64_t ring_write(ChannelRing* r, uint8_t* data, uint32_t size, const void* src, uint64_t len) {
  uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
  uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
  uint32_t used = head - tail;
  if (used > size) return kRingCorrupt;
  uint32_t space = size - used;
  uint32_t n = len < space ? static_cast<uint32_t>(len) : space;
  if (n == 0) return 0;
  uint32_t off = head & (size - 1);
  uint32_t first = size - off < n ? size - off : n;
  const uint8_t* s = static_cast<const uint8_t*>(src);
  __builtin_memcpy(data + off, s, first);
  if (n > first) __builtin_memcpy(data, s + first, n - first);
  __atomic_store_n(&r->head, head + n, __ATOMIC_RELEASE);
  return n;
}

// Copies up to len readable bytes, starting `skip` bytes past the tail, into
// dst without consuming them. Returns bytes copied or kRingCorrupt.
inline int64_t ring_peek(const ChannelRing* r, const uint8_t* data, uint32_t size, void* dst, uint64_t len,
                         uint32_t skip = 0) {
  uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
  uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
  uint32_t used = head - tail;
  if (used > size) return kRingCorrupt;
  if (skip >= used) return 0;
  uint32_t avail = used - skip;
  uint32_t n = len < avail ? static_cast<uint32_t>(len) : avail;
  uint32_t off = (tail + skip) & (size - 1);
  uint32_t first = size - off < n ? size - off : n;
  uint8_t* d = static_cast<uint8_t*>(dst);
  __builtin_memcpy(d, data + off, first);
  if (n > first) __builtin_memcpy(d + first, data, n - first);
  return n;
}

// Marks n bytes consumed. Returns n, or kRingCorrupt if fewer are readable.
inline int64_t ring_consume(ChannelRing* r, uint32_t size, uint32_t n) {
  uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
  uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
  uint32_t used = head - tail;
  if (used > size || n > used) return kRingCorrupt;
  __atomic_store_n(&r->tail, tail + n, __ATOMIC_RELEASE);
  return n;
}

// Copies up to len bytes out of the ring and consumes them.
inline int64_t ring_read(ChannelRing* r, const uint8_t* data, uint32_t size, void* dst, uint64_t len) {
  int64_t n = ring_peek(r, data, size, dst, len);
  if (n <= 0) return n;
  return ring_consume(r, size, static_cast<uint32_t>(n));
}

// Consumer, after it consumed bytes (tail moved on from tail_before) and
// bumped its events counter: may the producer be waiting for room? A
// producer waits only after it found the ring full, i.e. after it published
// head = (the tail it saw) + size. Full fence, then head - tail_before >= size.
// Sound with the sleep protocol: if the producer's re-check after announcing
// its sleep missed this side's events bump, this fenced load sees the head it
// published before announcing (both sides fence between store and load), so
// the kick is not skipped; if the re-check saw the bump, it does not sleep.
// The caller kicks (channel_take_kick) only when this returns true: reading
// what an idle peer sent never wakes it a second time.
inline bool ring_producer_may_wait(const ChannelRing* r, uint32_t tail_before, uint32_t size) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
  return head - tail_before >= size;
}

// Zero-copy access: the contiguous readable bytes at the tail (stops at the
// ring's end; call again after consuming). *out points into shared memory the
// peer can still scribble on: copy before parsing anything security-relevant.
inline int64_t ring_read_window(const ChannelRing* r, const uint8_t* data, uint32_t size,
                                const uint8_t** out) {
  int64_t used = ring_readable(r, size);
  if (used <= 0) return used;
  uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
  uint32_t off = tail & (size - 1);
  uint32_t n = size - off < static_cast<uint32_t>(used) ? size - off : static_cast<uint32_t>(used);
  *out = data + off;
  return n;
}

// Zero-copy production: the contiguous free bytes at the head. Fill them, then
// ring_produce(n).
inline int64_t ring_write_window(const ChannelRing* r, uint8_t* data, uint32_t size, uint8_t** out) {
  int64_t space = ring_space(r, size);
  if (space <= 0) return space;
  uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
  uint32_t off = head & (size - 1);
  uint32_t n = size - off < static_cast<uint32_t>(space) ? size - off : static_cast<uint32_t>(space);
  *out = data + off;
  return n;
}

// Publishes n bytes written through ring_write_window. Returns n or kRingCorrupt.
inline int64_t ring_produce(ChannelRing* r, uint32_t size, uint32_t n) {
  int64_t space = ring_space(r, size);
  if (space < 0 || n > static_cast<uint64_t>(space)) return kRingCorrupt;
  uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
  __atomic_store_n(&r->head, head + n, __ATOMIC_RELEASE);
  return n;
}

// ---- Slot state machine ------------------------------------------------------

inline uint32_t slot_state(const ChannelSlot* s) { return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE); }

inline bool slot_cas(ChannelSlot* s, uint32_t from, uint32_t to) {
  return __atomic_compare_exchange_n(&s->state, &from, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

// Opener: kFree -> kClaimed. On success the slot is private to the caller
// until slot_publish(); it zeroes every field the previous connection left.
inline bool slot_claim(ChannelSlot* s) {
  if (!slot_cas(s, kSlotFree, kSlotClaimed)) return false;
  __atomic_store_n(&s->released, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->host_flags, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->guest_flags, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->port, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->service, kServiceNone, __ATOMIC_RELAXED);
  __atomic_store_n(&s->peer_ipv4, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->peer_port, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->dest_ipv4, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->to_guest.head, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->to_guest.tail, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->to_host.head, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->to_host.tail, 0u, __ATOMIC_RELAXED);
  return true;
}

// Opener: kClaimed -> kConnecting, after filling port/addresses (and perhaps
// a first request's bytes in its tx ring). The release store makes all of it
// visible to the acceptor that sees kConnecting.
inline void slot_publish(ChannelSlot* s) {
  __atomic_store_n(&s->state, uint32_t{kSlotConnecting}, __ATOMIC_RELEASE);
}

// Acceptor: kConnecting -> kOpen / kRefused. False if the opener cancelled
// first (or a hostile peer moved the state).
inline bool slot_accept(ChannelSlot* s) { return slot_cas(s, kSlotConnecting, kSlotOpen); }
inline bool slot_refuse(ChannelSlot* s) { return slot_cas(s, kSlotConnecting, kSlotRefused); }

// Opener: gives up before the acceptor answered (kConnecting -> kFree). False
// if the acceptor won the race: the slot is then open or refused and the
// opener must release or free it normally.
inline bool slot_cancel(ChannelSlot* s) { return slot_cas(s, kSlotConnecting, kSlotFree); }

// Opener: frees a refused slot (kRefused -> kFree).
inline bool slot_free_refused(ChannelSlot* s) { return slot_cas(s, kSlotRefused, kSlotFree); }

inline uint32_t channel_released_bit(ChannelSide side) {
  return side == kSideHost ? uint32_t{kReleasedHost} : uint32_t{kReleasedGuest};
}

// A side has closed its end of an open slot and will not touch its rings
// again. Returns true if this call completed the release (both bits set): the
// caller then reset the slot and stored kFree, so it may be claimed again.
// NOTE: completion is decided by (old | bit) == both, not by "old lacked my
// bit": a peer that sets our bit early cannot strand the slot.
inline bool slot_release(ChannelSlot* s, ChannelSide side) {
  uint32_t bit = channel_released_bit(side);
  uint32_t old = __atomic_fetch_or(&s->released, bit, __ATOMIC_ACQ_REL);
  if ((old | bit) != (kReleasedHost | kReleasedGuest)) return false;
  __atomic_store_n(&s->host_flags, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->guest_flags, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->released, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&s->state, uint32_t{kSlotFree}, __ATOMIC_RELEASE);
  return true;
}

// Flags: each side writes only its own word (atomic OR, release) and reads
// the peer's (acquire).
inline uint32_t* slot_flags_word(ChannelSlot* s, ChannelSide side) {
  return side == kSideHost ? &s->host_flags : &s->guest_flags;
}
inline void slot_set_flags(ChannelSlot* s, ChannelSide side, uint32_t flags) {
  __atomic_fetch_or(slot_flags_word(s, side), flags, __ATOMIC_RELEASE);
}
inline uint32_t slot_flags(const ChannelSlot* s, ChannelSide side) {
  return __atomic_load_n(side == kSideHost ? &s->host_flags : &s->guest_flags, __ATOMIC_ACQUIRE);
}
inline uint32_t slot_released(const ChannelSlot* s) {
  return __atomic_load_n(&s->released, __ATOMIC_ACQUIRE);
}

// ---- Events and notification suppression -----------------------------------

// `*_events` for the side that made a change; `*_sleeping` for a side.
inline uint32_t* channel_events_word(ChannelHeader* h, ChannelSide side) {
  return side == kSideHost ? &h->host_events : &h->guest_events;
}
inline uint32_t* channel_sleeping_word(ChannelHeader* h, ChannelSide side) {
  return side == kSideHost ? &h->host_sleeping : &h->guest_sleeping;
}

// After any change (open, data, consume, flags, listen table): bump own counter.
inline void channel_bump_events(ChannelHeader* h, ChannelSide side) {
  __atomic_fetch_add(channel_events_word(h, side), 1u, __ATOMIC_RELEASE);
}
inline uint32_t channel_events(ChannelHeader* h, ChannelSide side) {
  return __atomic_load_n(channel_events_word(h, side), __ATOMIC_ACQUIRE);
}

// Sleeper, step 1: announce, then a full fence, so that the re-check of the
// rings that follows cannot be ordered before the announcement (a producer
// that published just before would otherwise see no sleeper and not kick).
// Step 2: re-check for work; if there is none, block (the guest: `block`
// hypercall; the host: epoll_wait). Step 3, after waking: channel_clear_sleep.
inline void channel_announce_sleep(ChannelHeader* h, ChannelSide side) {
  __atomic_store_n(channel_sleeping_word(h, side), 1u, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void channel_clear_sleep(ChannelHeader* h, ChannelSide side) {
  __atomic_store_n(channel_sleeping_word(h, side), 0u, __ATOMIC_RELAXED);
}

// Producer, after publishing (ring head, state, flags, events): full fence,
// then look at the peer's announcement. Returns true if the caller must kick
// the peer (guest: outl to kChannelKickPort; host: write to TO_GUEST_FD). The
// flag is taken (exchanged to 0) so a burst of publications to a sleeping
// peer costs one kick, not one per publication; the woken peer re-announces
// before it sleeps again.
inline bool channel_take_kick(ChannelHeader* h, ChannelSide peer) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  uint32_t* w = channel_sleeping_word(h, peer);
  if (__atomic_load_n(w, __ATOMIC_RELAXED) == 0) return false;
  return __atomic_exchange_n(w, 0u, __ATOMIC_ACQ_REL) != 0;
}

// ---- Listen table (written by the guest only) --------------------------------

inline bool channel_listening(ChannelHeader* h, uint32_t port) {
  if (port == 0) return false;
  for (uint32_t i = 0; i < kMaxListenPorts; ++i)
    if (__atomic_load_n(&h->listen_ports[i], __ATOMIC_ACQUIRE) == port) return true;
  return false;
}

// Guest: adds port (idempotent). False when the table is full or port is 0.
inline bool channel_listen_add(ChannelHeader* h, uint32_t port) {
  if (port == 0) return false;
  if (channel_listening(h, port)) return true;
  for (uint32_t i = 0; i < kMaxListenPorts; ++i) {
    if (__atomic_load_n(&h->listen_ports[i], __ATOMIC_RELAXED) == 0) {
      __atomic_store_n(&h->listen_ports[i], port, __ATOMIC_RELEASE);
      channel_bump_events(h, kSideGuest);
      return true;
    }
  }
  return false;
}

// Guest: removes port from the table.
inline void channel_listen_remove(ChannelHeader* h, uint32_t port) {
  if (port == 0) return;
  for (uint32_t i = 0; i < kMaxListenPorts; ++i)
    if (__atomic_load_n(&h->listen_ports[i], __ATOMIC_RELAXED) == port)
      __atomic_store_n(&h->listen_ports[i], 0u, __ATOMIC_RELEASE);
  channel_bump_events(h, kSideGuest);
}

}  // namespace shoal::abi
