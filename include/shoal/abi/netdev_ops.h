// shoal guest ABI: operations on the network device's region (netdev.h)
// shared by the monitor (which writes the header and serves the rings) and
// the LibOS driver (which validates the header before trusting the layout),
// so both agree on the geometry and the ring arithmetic. Freestanding: no
// library calls, compiled on both sides.
#pragma once

#include <shoal/abi/netdev.h>
#include <stdint.h>

namespace shoal::abi {

// Writes a fresh header (magic, version, geometry; rings empty) at h.
inline void net_header_init(NetHeader* h) {
  *h = NetHeader{};
  h->magic = kNetMagic;
  h->version = kNetVersion;
  h->slots = kNetSlots;
  h->slot_size = kNetSlotSize;
}

// nullptr when the region of `size` bytes at h is a device this code speaks,
// else what is wrong with it (for the guest's panic message).
inline const char* net_header_problem(const NetHeader* h, uint64_t size) {
  if (size != kNetRegionSize) return "the network region has the wrong size";
  if (h->magic != kNetMagic) return "the network region has a bad magic number";
  if (h->version != kNetVersion) return "the network region has an unknown version";
  if (h->slots != kNetSlots || h->slot_size != kNetSlotSize) return "the network region has an unknown geometry";
  return nullptr;
}

// Slots a frame of len bytes occupies (len >= 1).
inline uint32_t net_slots_for(uint32_t len) { return (len + kNetSlotSize - 1) / kNetSlotSize; }
// Slots from index to the ring's end (what a skip entry at index gives up).
inline uint32_t net_slots_to_end(uint32_t index) { return kNetSlots - (index & (kNetSlots - 1)); }

// A producer's plan for a frame of `slots` slots at `head` with `room` free
// slots: the slots consumed in all (a skip entry first when the frame would
// cross the ring's end; *skip says so), or 0 when it does not fit now.
inline uint32_t net_plan_put(uint32_t head, uint32_t room, uint32_t slots, bool* skip) {
  uint32_t to_end = net_slots_to_end(head);
  *skip = slots > to_end;
  uint32_t need = *skip ? to_end + slots : slots;
  return need <= room ? need : 0;
}

// Whether the metadata of a frame (copied once out of the shared region)
// is one the other side may act on, given the offloads in `features`.
// Checks lengths and every offset against the frame; the bytes are not
// looked at (the host kernel checks the headers again).
inline bool net_meta_ok(const NetSlotMeta& m, uint32_t features) {
  if (m.len < kNetMinFrame || m.len > kNetMaxFrame) return false;
  if ((m.flags & ~(kNetFlagCsumPartial | kNetFlagDataValid | kNetFlagGather)) != 0) return false;
  if (m.flags != 0 && (features & kNetFeatureCsum) == 0) return false;
  // A gather frame completes its checksum on the host: the guest never sums
  // bytes it did not copy.
  if ((m.flags & kNetFlagGather) != 0 &&
      ((features & kNetFeatureGather) == 0 || (m.flags & kNetFlagCsumPartial) == 0)) {
    return false;
  }
  if ((m.flags & kNetFlagCsumPartial) != 0) {
    // The checksum field (two bytes) lies inside the frame, after the Ethernet header.
    if (m.csum_start < kNetMinFrame || uint32_t{m.csum_start} + m.csum_offset + 2 > m.len) return false;
  }
  switch (m.gso_type) {
    case kNetGsoNone:
      return m.len <= kNetMaxPlainFrame;
    case kNetGsoTcpv4:
      // Segmentation needs the partial checksum over the TCP header and a
      // segment size a 1500-byte MTU can carry.
      return (features & kNetFeatureTso4) != 0 && (m.flags & kNetFlagCsumPartial) != 0 && m.gso_size >= 64 &&
             m.gso_size <= kNetMtu - 40;
    default:
      return false;
  }
}

// One copy of a gather slot (the other side may rewrite it meanwhile: only
// the copy is checked and used).
// Word by word with relaxed atomic loads, as net_load_meta: each word once.
inline NetGather net_load_gather(const void* slot) {
  static_assert(sizeof(NetGather) % 8 == 0);
  const uint64_t* w = static_cast<const uint64_t*>(slot);
  uint64_t v[sizeof(NetGather) / 8];
  for (unsigned i = 0; i < sizeof v / 8; ++i) v[i] = __atomic_load_n(w + i, __ATOMIC_RELAXED);
  NetGather g;
  __builtin_memcpy(&g, v, sizeof g);
  return g;
}

// Whether a gather slot's copy describes the frame of metadata m (already
// net_meta_ok): a head of kNetMinFrame..kNetGatherHeadMax bytes that holds
// the checksum field, 1..kNetGatherSpans non-empty spans, and head plus
// spans adding up to m.len. The spans' addresses are the reader's to check
// against guest memory.
inline bool net_gather_ok(const NetGather& g, const NetSlotMeta& m) {
  if (g.head_len < kNetMinFrame || g.head_len > kNetGatherHeadMax) return false;
  if (uint32_t{m.csum_start} + m.csum_offset + 2 > g.head_len) return false;
  if (g.spans < 1 || g.spans > kNetGatherSpans) return false;
  uint64_t total = g.head_len;
  for (uint32_t i = 0; i < g.spans; ++i) {
    if (g.span[i].len == 0 || g.span[i].len > kNetMaxFrame) return false;
    total += g.span[i].len;
  }
  return total == m.len;
}

// Frames a ring holds, from a head and a tail each loaded once. More than
// kNetSlots means the other side wrote garbage: callers reset the ring.
inline uint32_t net_ring_used(uint32_t head, uint32_t tail) { return head - tail; }
inline bool net_ring_sane(uint32_t head, uint32_t tail) { return head - tail <= kNetSlots; }
inline uint32_t net_slot_of(uint32_t index) { return index & (kNetSlots - 1); }

// Slot addresses inside the region at base.
inline uint8_t* net_rx_slot(void* base, uint32_t index) {
  return static_cast<uint8_t*>(base) + kNetRxOffset + uint64_t{net_slot_of(index)} * kNetSlotSize;
}
inline uint8_t* net_tx_slot(void* base, uint32_t index) {
  return static_cast<uint8_t*>(base) + kNetTxOffset + uint64_t{net_slot_of(index)} * kNetSlotSize;
}

// Atomic accesses to the shared words (the other side runs concurrently).
inline uint32_t net_load_acquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline uint32_t net_load_relaxed(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
inline void net_store_release(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
inline void net_store_relaxed(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
// One copy of a slot's metadata, each word loaded once: the other side may
// rewrite it meanwhile, and only the copy is checked and used.
inline NetSlotMeta net_load_meta(const NetSlotMeta* p) {
  const uint32_t* w = reinterpret_cast<const uint32_t*>(p);
  uint32_t v[4];
  for (int i = 0; i < 4; ++i) v[i] = __atomic_load_n(w + i, __ATOMIC_RELAXED);
  NetSlotMeta m;
  __builtin_memcpy(&m, v, sizeof m);
  return m;
}
inline void net_store_meta(NetSlotMeta* p, const NetSlotMeta& m) {
  uint32_t v[4];
  __builtin_memcpy(v, &m, sizeof m);
  uint32_t* w = reinterpret_cast<uint32_t*>(p);
  for (int i = 0; i < 4; ++i) __atomic_store_n(w + i, v[i], __ATOMIC_RELAXED);
}
// The full fence of the notification protocol: between announcing sleep
// (or publishing) and re-checking the other side's word.
inline void net_full_fence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

}  // namespace shoal::abi
