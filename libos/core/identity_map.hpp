// The identity map of guest memory as the LibOS reads it (abi/layout.h,
// kIdentityPdAddr): one page-directory entry per 2 MiB region, at a fixed
// address. The monitor maps the heap area in 2 MiB read-write-execute
// entries; mprotect in the heap area (mm/heap_protect.cpp) replaces a
// region's entry with a 4 KiB table of the LibOS's own, marked kOwnTable.
// Here only the reading side, which the user-pointer checks need too.
#pragma once

#include <stdint.h>

#include <shoal/abi/layout.h>

#include "arch/x86_64/pte.hpp"

namespace libos::identity {

using pte::kAddrMask;
using pte::kLarge;
using pte::kNoExec;
using pte::kPresent;
using pte::kUser;
using pte::kWrite;
// Bit 10 is the software's: this region's table is one the LibOS linked
// (a heap page), not one the monitor built.
inline constexpr uint64_t kOwnTable = 1ull << 10;
inline constexpr uint64_t kRegion = shoal::abi::kLargePageSize;
// The rights of an entry that matter to a program.
inline constexpr uint64_t kRights = kPresent | kWrite | kUser | kNoExec;
inline constexpr uint64_t kUserRwx = kPresent | kWrite | kUser;

// Regions whose table is the LibOS's own: while there are none (every
// program that never calls mprotect on its heap), nothing here costs a load.
inline constinit uint32_t g_own_tables = 0;

// SAFETY: the page directories are user read-write (the monitor's plan),
// consecutive, and cover [0, memory_size); va lies below memory_size.
inline uint64_t* pde_slot(uint64_t va) {
  return reinterpret_cast<uint64_t*>(shoal::abi::kIdentityPdAddr) + (va >> 21);
}

// The 4 KiB entries of a region the LibOS split, or null.
inline const uint64_t* own_table(uint64_t va) {
  uint64_t pde = *pde_slot(va);
  if (!(pde & kPresent) || !(pde & kOwnTable)) return nullptr;
  // SAFETY: an own table is a heap page the LibOS took (identity-mapped).
  return reinterpret_cast<const uint64_t*>(pde & kAddrMask);
}

// False if a page of [p, p+len) (inside guest memory) lies in a region the
// LibOS split and is absent (or read-only, with write). Regions it did not
// split keep the monitor's rights, which this does not check.
inline bool accessible(uint64_t p, uint64_t len, bool write) {
  if (g_own_tables == 0) return true;
  uint64_t end = len == 0 ? p + 1 : p + len;
  for (uint64_t c = p & ~(kRegion - 1); c < end; c += kRegion) {
    const uint64_t* pt = own_table(c);
    if (pt == nullptr) continue;
    uint64_t lo = p > c ? p : c;
    uint64_t hi = end < c + kRegion ? end : c + kRegion;
    for (uint64_t q = lo & ~uint64_t{0xfff}; q < hi; q += 0x1000) {
      uint64_t e = pt[(q - c) >> 12];
      if (!(e & kPresent) || (write && !(e & kWrite))) return false;
    }
  }
  return true;
}

}  // namespace libos::identity
