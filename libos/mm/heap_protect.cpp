// Page protections in the heap area (mm/heap_protect.hpp).
//
// NOTE: a region's rights change by linking a new table (one write to the
// page directory, which kvm_pvm's shadow MMU always traps and emulates,
// dropping the shadow entries it invalidates), never by editing a live
// last-level table, which the shadow MMU may leave "unsync" (see
// mm/window.cpp). On hardware with EPT, narrowing an entry would also need a
// TLB flush (a hypercall), as for the window.
#include "mm/heap_protect.hpp"

#include "core/errno.hpp"
#include "core/identity_map.hpp"
#include "core/klib.hpp"
#include "mm/page_alloc.hpp"
#include "uapi/mman.hpp"

namespace libos::mm::heap_protect {

namespace {

using namespace libos::identity;

uint64_t rights(int prot) {
  using namespace uapi;
  if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0) return 0;  // absent
  uint64_t bits = kPresent | kUser;
  if (prot & PROT_WRITE) bits |= kWrite;
  if (!(prot & PROT_EXEC)) bits |= kNoExec;
  return bits;
}

// The rights of page i of region c's current entry (a 2 MiB leaf or a table).
uint64_t page_rights(uint64_t pde, uint64_t i) {
  if (!(pde & kPresent)) return 0;
  if (pde & kLarge) return pde & kRights;
  // SAFETY: a region's table is either the LibOS's own (a heap page) or one
  // the monitor built in the page-table area, which it maps user read-only.
  return reinterpret_cast<const uint64_t*>(pde & kAddrMask)[i] & kRights;
}

void drop(uint64_t old) {
  if (old & kOwnTable) {
    release(old & kAddrMask, kPage);
    --g_own_tables;
  }
}

// Gives [lo, hi) of region c the rights bits (with reset, failing to take a
// table leaves the region as it is). 0 or -ENOMEM.
long protect_region(uint64_t c, uint64_t lo, uint64_t hi, uint64_t bits) {
  uint64_t* slot = pde_slot(c);
  uint64_t old = *slot;
  // Nothing to change (this also ends the recursion through release(),
  // which resets the table page it frees: its rights are the heap's).
  bool same = true, uniform = bits == kUserRwx;
  for (uint64_t i = 0; i < 512 && (same || uniform); ++i) {
    uint64_t p = c + i * kPage;
    uint64_t r = page_rights(old, i);
    if (p >= lo && p < hi) {
      same = same && r == bits;
    } else {
      uniform = uniform && r == kUserRwx;
    }
  }
  if (same) return 0;
  if (uniform) {
    // Every page read-write-execute: one 2 MiB entry again, as the monitor
    // mapped it (identity: the frame is the region's own address).
    *slot = c | kUserRwx | kLarge;
    drop(old);
    return 0;
  }
  uint64_t table = alloc_top_down(kPage);
  if (table == 0) return -ENOMEM;
  // SAFETY: table is a fresh heap page (zero), not yet a page table.
  auto* entries = reinterpret_cast<uint64_t*>(table);
  for (uint64_t i = 0; i < 512; ++i) {
    uint64_t p = c + i * kPage;
    // The frame address stays in an absent entry, as in the window.
    entries[i] = p | (p >= lo && p < hi ? bits : page_rights(old, i));
  }
  *slot = table | kPresent | kWrite | kUser | kOwnTable;
  if (!(old & kOwnTable)) ++g_own_tables;
  drop(old);
  return 0;
}

long protect_bits(uint64_t addr, uint64_t len, uint64_t bits) {
  uint64_t end = addr + len;
  for (uint64_t c = addr & ~(kRegion - 1); c < end; c += kRegion) {
    uint64_t lo = addr > c ? addr : c;
    uint64_t hi = end < c + kRegion ? end : c + kRegion;
    long r = protect_region(c, lo, hi, bits);
    if (r < 0) return r;
  }
  return 0;
}

}  // namespace

long protect(uint64_t addr, uint64_t len, int prot) { return protect_bits(addr, len, rights(prot)); }

void reset(uint64_t addr, uint64_t len) {
  if (any(addr, len)) (void)protect_bits(addr, len, kUserRwx);
}

int prot_at(uint64_t addr) {
  using namespace uapi;
  uint64_t c = addr & ~(kRegion - 1);
  uint64_t r = page_rights(*pde_slot(c), (addr - c) / kPage);
  if (!(r & kPresent)) return PROT_NONE;
  return PROT_READ | ((r & kWrite) ? PROT_WRITE : 0) | ((r & kNoExec) ? 0 : PROT_EXEC);
}

bool any(uint64_t addr, uint64_t len) {
  if (g_own_tables == 0 || len == 0) return false;
  uint64_t end = addr + len;
  for (uint64_t c = addr & ~(kRegion - 1); c < end; c += kRegion) {
    const uint64_t* pt = own_table(c);
    if (pt == nullptr) continue;
    uint64_t lo = addr > c ? addr : c;
    uint64_t hi = end < c + kRegion ? end : c + kRegion;
    for (uint64_t p = lo; p < hi; p += kPage) {
      if ((pt[(p - c) / kPage] & kRights) != kUserRwx) return true;
    }
  }
  return false;
}

}  // namespace libos::mm::heap_protect
