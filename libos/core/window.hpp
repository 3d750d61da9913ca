// The reservation window (abi/layout.h) as the LibOS reads it: guest-virtual
// [kWindowBase, kWindowBase + kWindowSize), mapped in 2 MiB chunks by tables
// the LibOS writes itself (mm/window.cpp). Here only the reading side, which
// the user-pointer checks need too.
#pragma once

#include <stdint.h>

#include <shoal/abi/layout.h>

namespace libos::window {

inline constexpr uint64_t kPresent = 1ull << 0;
inline constexpr uint64_t kWrite = 1ull << 1;
inline constexpr uint64_t kUser = 1ull << 2;
inline constexpr uint64_t kLarge = 1ull << 7;
inline constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;
inline constexpr uint64_t kChunk = shoal::abi::kWindowChunk;

// True if [p, p+len) lies inside the window (len may be 0).
inline bool contains(uint64_t p, uint64_t len) {
  using namespace shoal::abi;
  return p >= kWindowBase && p - kWindowBase < kWindowSize && len <= kWindowSize - (p - kWindowBase);
}

// SAFETY: the PDPT page is identity-mapped user read-write (the monitor's plan).
inline uint64_t* pdpt() { return reinterpret_cast<uint64_t*>(shoal::abi::kWindowPdptAddr); }

// The page-directory entry mapping va's chunk, or null when its page
// directory does not exist yet.
inline uint64_t* pde_slot(uint64_t va) {
  uint64_t e = pdpt()[(va - shoal::abi::kWindowBase) >> 30];
  if (!(e & kPresent)) return nullptr;
  // SAFETY: page directories are heap pages the LibOS took (identity-mapped).
  return reinterpret_cast<uint64_t*>(e & kAddrMask) + ((va >> 21) & 511);
}

// The frame that va's chunk maps, 0 if the chunk is not committed.
inline uint64_t frame_of(uint64_t va) {
  uint64_t* slot = pde_slot(va);
  if (slot == nullptr || !(*slot & kPresent)) return 0;
  return *slot & kAddrMask & ~(kChunk - 1);
}

// True if every chunk [p, p+len) touches is committed (readable and writable).
inline bool committed(uint64_t p, uint64_t len) {
  if (!contains(p, len)) return false;
  uint64_t end = len == 0 ? p + 1 : p + len;
  for (uint64_t c = p & ~(kChunk - 1); c < end; c += kChunk) {
    if (frame_of(c) == 0) return false;
  }
  return true;
}

}  // namespace libos::window
