// The reservation window (abi/layout.h) as the LibOS reads it: guest-virtual
// [kWindowBase, kWindowBase + kWindowSize), mapped in 2 MiB chunks by tables
// the LibOS writes itself (mm/window.cpp). Here only the reading side, which
// the user-pointer checks need too.
#pragma once

#include <stdint.h>

#include <shoal/abi/layout.h>

#include "arch/x86_64/pte.hpp"

namespace libos::window {

using pte::kAddrMask;
using pte::kLarge;
using pte::kNoExec;
using pte::kPresent;
using pte::kUser;
using pte::kWrite;
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

// The frame that va's chunk maps, 0 if the chunk is not committed. A chunk
// whose pages have different protections is split: its entry points to a
// page table whose entries keep each page's frame address even when the page
// is absent (PROT_NONE), so the first one names the chunk's frame.
inline uint64_t frame_of(uint64_t va) {
  uint64_t* slot = pde_slot(va);
  if (slot == nullptr || !(*slot & kPresent)) return 0;
  if (*slot & kLarge) return *slot & kAddrMask & ~(kChunk - 1);
  // SAFETY: a split chunk's page table is a heap page the LibOS took.
  return *reinterpret_cast<uint64_t*>(*slot & kAddrMask) & kAddrMask & ~(kChunk - 1);
}

// True if every chunk [p, p+len) touches is committed.
inline bool committed(uint64_t p, uint64_t len) {
  if (!contains(p, len)) return false;
  uint64_t end = len == 0 ? p + 1 : p + len;
  for (uint64_t c = p & ~(kChunk - 1); c < end; c += kChunk) {
    if (frame_of(c) == 0) return false;
  }
  return true;
}

// True if every page of [p, p+len) is present (and writable, with write):
// a chunk mapped whole is read-write; a split chunk's pages say for
// themselves (mm/window.cpp, protect).
inline bool accessible(uint64_t p, uint64_t len, bool write) {
  if (!committed(p, len)) return false;
  uint64_t end = len == 0 ? p + 1 : p + len;
  for (uint64_t c = p & ~(kChunk - 1); c < end; c += kChunk) {
    uint64_t pde = *pde_slot(c);
    if (pde & kLarge) continue;
    // SAFETY: a split chunk's page table is a heap page the LibOS took.
    const auto* pt = reinterpret_cast<const uint64_t*>(pde & kAddrMask);
    uint64_t lo = p > c ? p : c;
    uint64_t hi = end < c + kChunk ? end : c + kChunk;
    for (uint64_t q = lo & ~(uint64_t{0xfff}); q < hi; q += 0x1000) {
      uint64_t e = pt[(q - c) >> 12];
      if (!(e & kPresent) || (write && !(e & kWrite))) return false;
    }
  }
  return true;
}

}  // namespace libos::window
