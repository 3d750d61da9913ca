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
// The full fence of the notification protocol: between announcing sleep
// (or publishing) and re-checking the other side's word.
inline void net_full_fence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

}  // namespace shoal::abi
