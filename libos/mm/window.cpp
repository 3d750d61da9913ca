// The reservation window (mm/window.hpp): reservations are address ranges
// only; commits write the window's page tables (core/window.hpp), which the
// monitor left user-writable for the LibOS.
//
// NOTE: writing a live page-table entry from ring 3 is correct here because
// kvm_pvm shadows the guest's tables: it write-protects them, traps the
// write, emulates it and drops the shadow entries it invalidates (no stale
// translation survives). On hardware with EPT a cleared or narrowed entry
// would also need a TLB flush (a hypercall); only not-present -> present
// changes are safe without one. See docs/architecture.md, "Memory".
#include "mm/window.hpp"

#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/window.hpp"
#include "mm/heap_protect.hpp"
#include "mm/page_alloc.hpp"
#include "mm/range_set.hpp"
#include "mm/retired.hpp"
#include "uapi/mman.hpp"

namespace libos::mm::window {

namespace {

using libos::window::kChunk;

// Reserved ranges. Reservations are few (Go makes tens).
constinit RangeSet<2048> g_ranges;
uint64_t g_committed = 0;

uint64_t chunk_down(uint64_t v) { return v & ~(kChunk - 1); }
uint64_t chunk_up(uint64_t v) { return (v + kChunk - 1) & ~(kChunk - 1); }

// The page-directory entry for va, creating its page directory (a zeroed
// heap page) if needed; null when the heap has no page left.
uint64_t* pde_for(uint64_t va) {
  using namespace libos::window;
  if (uint64_t* slot = pde_slot(va)) return slot;
  uint64_t pd = alloc_top_down(kPage);
  if (pd == 0) return nullptr;
  pdpt()[(va - shoal::abi::kWindowBase) >> 30] = pd | kPresent | kWrite | kUser;
  return pde_slot(va);
}

// The dirty bit, which the (shadow) MMU sets in an entry on a write through
// it. protect() keeps it when it rewrites an entry, so it says which pages of
// a chunk were ever written (the monitor's own writes into the window, the
// console read, set it through window::note_written).
constexpr uint64_t kDirty = 1ull << 6;

// Zeroes the written pages of [lo, hi) in chunk (its directory entry pde)
// itself, keeping them backed: through the mapping where the page is
// writable there (its translation is cached: native speed), else through the
// frame's identity mapping. A page never written is zero already (frames
// come zeroed, and the dirty bit stays). False, leaving it to the discard
// hypercall, when more than keep bytes would be written (or, for a written
// 2 MiB entry, [lo, hi) is larger than keep: which of its pages were written
// is unknown), or when a page is not writable in either mapping.
bool zero_written(uint64_t chunk, uint64_t pde, uint64_t lo, uint64_t hi, uint64_t keep) {
  using namespace libos::window;
  if (pde & kLarge) {
    if (!(pde & kDirty)) return true;
    // Which pages were written is unknown: a memset may touch (fault in)
    // pages never used; up to 64 KiB that costs less than the discard's exit.
    if (hi - lo > 64 * 1024) return false;
    memset(reinterpret_cast<void*>(lo), 0, hi - lo);
    return true;
  }
  auto* pt = reinterpret_cast<const uint64_t*>(pde & kAddrMask);
  uint64_t frame = pt[0] & kAddrMask & ~(kChunk - 1);
  uint64_t first = (lo - chunk) / kPage, last = (hi - chunk) / kPage;
  uint64_t written = 0;
  for (uint64_t i = first; i < last; ++i) written += (pt[i] & kDirty) ? kPage : 0;
  if (written > keep) return false;
  for (uint64_t i = first; i < last; ++i) {
    uint64_t e = pt[i];
    if (!(e & kDirty)) continue;
    uint64_t at = (e & kPresent) && (e & kWrite) ? chunk + i * kPage : frame + i * kPage;
    // The frame's identity page is not writable only if the program
    // protected it there itself (mm/heap_protect.hpp): let the host zero it.
    if (at == frame + i * kPage && heap_protect::any(at, kPage)) return false;
    memset(reinterpret_cast<void*>(at), 0, kPage);
  }
  return true;
}

// Up to this much of a chunk written, zero() (MADV_DONTNEED, MAP_FIXED over
// a mapping, a partial munmap) and scrub() zero the pages themselves and keep
// them; a discard returned them to the host, and each later touch cost a host
// fault (~20 us a page: rewriting 1 MiB after MADV_DONTNEED took 24 ms
// against 0.5 ms natively). More goes back to the host: it bounds the memset
// (a table split from a written 2 MiB entry has every page marked written).
constexpr uint64_t kZeroKeep = 1ull << 20;

// Zeroes a chunk given up so that its frame can be kept (mm/retired.hpp):
// false for a written 2 MiB entry or more than kZeroKeep written (discarded
// instead).
bool scrub(uint64_t chunk, uint64_t pde) {
  if ((pde & libos::window::kLarge) && (pde & kDirty)) return false;
  return zero_written(chunk, pde, chunk, chunk + kChunk, kZeroKeep);
}

// Gives chunk's frame and page table up: kept for the next commits when they
// can be (mm/retired.hpp), else returned to the heap (the frame discarded).
void decommit(uint64_t chunk) {
  uint64_t frame = libos::window::frame_of(chunk);
  if (frame == 0) return;
  uint64_t* slot = libos::window::pde_slot(chunk);
  uint64_t pde = *slot;
  bool clean = scrub(chunk, pde);
  *slot = 0;
  if (!(pde & libos::window::kLarge)) {
    uint64_t pt = pde & libos::window::kAddrMask;
    if (!retired::put_table(pt)) release(pt, kPage);
  }
  if (!clean || !retired::put_frame(frame)) release(frame, kChunk);
  g_committed -= kChunk;
}

uint64_t rights(int prot) {
  using namespace libos::window;
  uint64_t bits = 0;
  if (prot & 7) bits |= kPresent | kUser;
  if (prot & 2) bits |= kWrite;
  if ((prot & 7) != 0 && !(prot & 4)) bits |= kNoExec;
  return bits;
}

// A new page table for a committed chunk: a copy of its current one, or 512
// read-write-execute entries over its frame when it is one 2 MiB entry.
// NOTE: the table is built before it is linked, and a chunk's protections
// change by linking a new table (one write to the page directory), never by
// editing a live table: KVM's shadow MMU may leave a last-level table
// "unsync" (guest writes to it not trapped until the guest flushes its TLB,
// which ring 3 cannot do), while it always traps writes to a directory.
uint64_t* new_table(uint64_t chunk) {
  using namespace libos::window;
  uint64_t* slot = pde_slot(chunk);
  uint64_t pt = retired::take_table();
  if (pt == 0) pt = alloc_top_down(kPage);
  if (pt == 0) return nullptr;
  // SAFETY: pt is a heap page that is no page table (any more); every entry
  // is written below.
  auto* entries = reinterpret_cast<uint64_t*>(pt);
  if (*slot & kLarge) {
    uint64_t frame = *slot & kAddrMask & ~(kChunk - 1);
    // A written 2 MiB entry: any of its pages may have been (scrub()).
    uint64_t dirty = *slot & kDirty;
    for (uint64_t i = 0; i < 512; ++i) entries[i] = (frame + i * kPage) | kPresent | kWrite | kUser | dirty;
  } else {
    memcpy(entries, reinterpret_cast<const void*>(*slot & kAddrMask), kPage);
  }
  return entries;
}

// Links table into chunk's directory entry, freeing the table it replaces.
void link_table(uint64_t chunk, uint64_t* table) {
  using namespace libos::window;
  uint64_t* slot = pde_slot(chunk);
  uint64_t old = *slot;
  *slot = reinterpret_cast<uint64_t>(table) | kPresent | kWrite | kUser;
  if (!(old & kLarge) && !retired::put_table(old & kAddrMask)) release(old & kAddrMask, kPage);
}

}  // namespace

bool is_free(uint64_t addr, uint64_t len) {
  return len != 0 && libos::window::contains(addr, len) && !g_ranges.overlaps(addr, addr + len);
}

bool is_reserved(uint64_t addr, uint64_t len) {
  return libos::window::contains(addr, len) && g_ranges.covers(addr, addr + len);
}

uint64_t reserve_growable(uint64_t len) {
  if (len == 0 || len > shoal::abi::kWindowSize / 8) return reserve(0, len);
  len = page_up(len);
  uint64_t room = chunk_up(len) * 4 > (1ull << 30) ? chunk_up(len) * 4 : (1ull << 30);
  uint64_t addr = reserve(0, room);
  if (addr == 0) return reserve(0, len);
  // Top-down placement fills the freed tail from its top, so the space right
  // after the range stays free the longest.
  g_ranges.remove(addr + len, addr + room);
  return addr;
}

bool reserve_fixed(uint64_t addr, uint64_t len) {
  return len != 0 && libos::window::contains(addr, len) && g_ranges.add(addr, addr + len);
}

uint64_t reserve(uint64_t hint, uint64_t len) {
  using namespace shoal::abi;
  if (len == 0 || len > kWindowSize) return 0;
  len = page_up(len);
  if (hint != 0 && (hint & (kPage - 1)) == 0 && is_free(hint, len)) return g_ranges.add(hint, hint + len) ? hint : 0;
  // A range of a chunk or more is placed on chunks of its own (a chunk is
  // committed as a whole) but records only len: what it leaves of its last
  // chunk must not keep that chunk committed after an munmap of
  // [addr, addr+len). A smaller range shares a chunk with its neighbours
  // (every program mapping lives here, and most are small) but never
  // straddles two, so that it commits one chunk and is one range for the
  // monitor.
  bool small = len < kChunk;
  uint64_t size = small ? len : chunk_up(len);
  // Top-down, as Linux places mappings, in the highest gap that fits.
  uint64_t top = kWindowBase + kWindowSize;
  for (size_t i = g_ranges.count();; --i) {
    uint64_t prev_end = i == 0 ? kWindowBase : g_ranges[i - 1].end;
    uint64_t gap_lo = small ? prev_end : chunk_up(prev_end);
    if (top >= gap_lo && top - gap_lo >= size) {
      uint64_t addr = small ? top - size : chunk_down(top - size);
      if (small && chunk_down(addr) != chunk_down(addr + len - 1)) addr = chunk_down(addr + len - 1) - len;
      if (addr >= gap_lo) return g_ranges.add(addr, addr + len) ? addr : 0;
    }
    if (i == 0) return 0;
    top = small ? g_ranges[i - 1].start : chunk_down(g_ranges[i - 1].start);
  }
}

namespace {
// Bit 9 of an entry is the software's: protect() marks the chunks its own
// commit created, whose pages outside the range it was asked for must stay
// absent (they were reserved PROT_NONE).
constexpr uint64_t kFresh = 1ull << 9;
long commit_marked(uint64_t addr, uint64_t len, bool huge, uint64_t mark, uint64_t ahead = 0);
}  // namespace

long commit(uint64_t addr, uint64_t len, bool huge, uint64_t ahead) {
  return commit_marked(addr, len, huge, 0, ahead);
}

namespace {
long commit_marked(uint64_t addr, uint64_t len, bool huge, uint64_t mark, uint64_t ahead) {
  if (!libos::window::contains(addr, len)) return -ENOMEM;
  uint64_t end = chunk_up(addr + len);
  // Fail before taking anything when the heap cannot hold the whole commit,
  // so that a refused commit leaves no chunk behind. (Fragmentation can still
  // fail it half-way; what was committed then stays with the reservation.)
  uint64_t needed = 0;
  for (uint64_t c = chunk_down(addr); c < end; c += kChunk) {
    if (libos::window::frame_of(c) == 0) needed += kChunk;
  }
  // Retired frames count as taken: give them back when their room is needed.
  if (needed > (heap_hi() - heap_lo()) - mapped_bytes()) retired::flush();
  if (needed > (heap_hi() - heap_lo()) - mapped_bytes()) return -ENOMEM;
  for (uint64_t c = chunk_down(addr); c < end;) {
    if (libos::window::frame_of(c) != 0) {
      c += kChunk;
      continue;
    }
    // A run of uncommitted chunks gets one run of frames when the heap has
    // one, so that a buffer across them is one range for the monitor.
    uint64_t run_end = c + kChunk;
    while (run_end < end && libos::window::frame_of(run_end) == 0) run_end += kChunk;
    // A single chunk takes a retired frame first (zeroed, host-backed).
    uint64_t frames = run_end - c == kChunk ? retired::take_frame() : 0;
    if (frames == 0) frames = alloc_top_down_aligned(run_end - c, kChunk);
    if (frames == 0) run_end = c + kChunk, frames = alloc_top_down_aligned(kChunk, kChunk);
    if (frames == 0) return -ENOMEM;
    if (huge) advise_huge(frames, run_end - c, ahead);
    for (; c < run_end; c += kChunk, frames += kChunk) {
      uint64_t* slot = pde_for(c);
      if (slot == nullptr) {
        release(frames, run_end - c);
        return -ENOMEM;
      }
      // Not present -> present: no flush needed (see the top of this file).
      *slot = frames | libos::window::kPresent | libos::window::kWrite | libos::window::kUser |
              libos::window::kLarge | mark;
      g_committed += kChunk;
    }
  }
  return 0;
}
}  // namespace

namespace {
// Links a 4 KiB table mapping chunk c (no frame yet) onto frame, giving
// [lo, hi) the rights prot and leaving its other pages absent: one write to
// the directory (trapped by the shadow MMU), where a 2 MiB entry replaced by
// a table took two. 0 or -ENOMEM (no page for the table; frame not taken).
long link_new_table(uint64_t c, uint64_t frame, uint64_t lo, uint64_t hi, int prot) {
  using namespace libos::window;
  uint64_t* slot = pde_for(c);
  uint64_t pt = slot != nullptr ? retired::take_table() : 0;
  if (slot != nullptr && pt == 0) pt = alloc_top_down(kPage);
  if (pt == 0) return -ENOMEM;
  // SAFETY: pt is a heap page that is no page table (any more); every entry
  // is written before it is linked.
  auto* entries = reinterpret_cast<uint64_t*>(pt);
  uint64_t bits = rights(prot);
  for (uint64_t i = 0; i < 512; ++i) {
    uint64_t p = c + i * kPage;
    // The frame address stays in an absent entry (frame_of, the monitor).
    entries[i] = (frame + i * kPage) | (p >= lo && p < hi ? bits : 0);
  }
  // Not present -> present: no flush needed (see the top of this file).
  *slot = pt | kPresent | kWrite | kUser;
  g_committed += kChunk;
  return 0;
}

// Commits the uncommitted chunks of [addr, end) as 4 KiB tables with the
// rights prot over the range (link_new_table): a run of them gets one run of
// frames when the heap has one (a buffer across them is one range for the
// monitor), a single one a retired frame first (zeroed, host-backed). Tables
// rather than 2 MiB entries keep each page's dirty bit, so that a frame given
// up, or zeroed by MADV_DONTNEED, is zeroed where it was written and kept
// (zero_written). The caller checked that the heap has room.
long commit_tables(uint64_t addr, uint64_t end, int prot) {
  using namespace libos::window;
  for (uint64_t c = chunk_down(addr); c < end;) {
    if (frame_of(c) != 0) {
      c += kChunk;
      continue;
    }
    uint64_t run_end = c + kChunk;
    while (run_end < end && frame_of(run_end) == 0) run_end += kChunk;
    uint64_t frames = run_end - c == kChunk ? retired::take_frame() : 0;
    if (frames == 0) frames = alloc_top_down_aligned(run_end - c, kChunk);
    if (frames == 0) run_end = c + kChunk, frames = retired::take_frame();
    if (frames == 0) frames = alloc_top_down_aligned(kChunk, kChunk);
    if (frames == 0) return -ENOMEM;
    for (; c < run_end; c += kChunk, frames += kChunk) {
      uint64_t lo = addr > c ? addr : c;
      uint64_t hi = end < c + kChunk ? end : c + kChunk;
      if (link_new_table(c, frames, lo, hi, prot) < 0) {
        release(frames, run_end - c);
        return -ENOMEM;
      }
    }
  }
  return 0;
}
}  // namespace

long protect(uint64_t addr, uint64_t len, int prot, bool huge) {
  using namespace libos::window;
  uint64_t end = addr + len;
  bool accessible = (prot & (uapi::PROT_READ | uapi::PROT_WRITE | uapi::PROT_EXEC)) != 0;
  // With huge (host huge pages), chunks wholly read+write are committed as
  // 2 MiB entries, the first and last chunk, when partial, as tables right
  // away (commit_tables; only they can be partial); without, every chunk
  // not committed yet is a table, linked after the committed ones are done.
  uint64_t direct[2] = {0, 0};
  if (accessible) {
    if (!libos::window::contains(addr, len)) return -ENOMEM;
    uint64_t needed = 0;
    for (uint64_t c = chunk_down(addr); c < end; c += kChunk) {
      if (frame_of(c) == 0) needed += kChunk;
    }
    // Retired frames count as taken: give them back when their room is needed.
    if (needed > (heap_hi() - heap_lo()) - mapped_bytes()) retired::flush();
    if (needed > (heap_hi() - heap_lo()) - mapped_bytes()) return -ENOMEM;
  }
  if (accessible && huge) {
    uint64_t ends[2] = {chunk_down(addr), chunk_down(end - 1)};
    for (int i = 0; i < 2; ++i) {
      uint64_t c = ends[i];
      if (i == 1 && c == ends[0]) break;
      uint64_t lo = addr > c ? addr : c;
      uint64_t hi = end < c + kChunk ? end : c + kChunk;
      bool whole = lo == c && hi == c + kChunk && (prot & 3) == 3;
      if (whole || frame_of(c) != 0) continue;
      long r = commit_tables(lo, hi, prot);
      if (r < 0) return r;
      direct[i] = c + 1;  // + 1: chunk 0 is no window address, but keeps 0 free for "none"
    }
    long r = commit_marked(addr, len, huge, kFresh);
    if (r < 0) return r;
  }
  for (uint64_t c = chunk_down(addr); c < end; c += kChunk) {
    if (frame_of(c) == 0) continue;  // uncommitted: absent already, so no rights to take away
    if (c + 1 == direct[0] || c + 1 == direct[1]) continue;  // built with its rights
    uint64_t lo = addr > c ? addr : c;
    uint64_t hi = end < c + kChunk ? end : c + kChunk;
    uint64_t* slot = pde_slot(c);
    bool fresh = (*slot & kFresh) != 0;
    // A whole chunk readable and writable stays one 2 MiB entry (execute
    // is not withheld at that size: huge pages matter more).
    if ((*slot & kLarge) && lo == c && hi == c + kChunk && (prot & 3) == 3) {
      if (fresh) *slot &= ~kFresh;
      continue;
    }
    uint64_t* pt = new_table(c);
    if (pt == nullptr) return -ENOMEM;
    if (fresh) {
      // Just committed for this call: what lies outside [lo, hi) was only
      // reserved, and stays absent.
      for (uint64_t p = c; p < c + kChunk; p += kPage) {
        if (p < lo || p >= hi) pt[(p - c) / kPage] &= kAddrMask;
      }
    }
    for (uint64_t p = lo; p < hi; p += kPage) {
      uint64_t& e = pt[(p - c) / kPage];
      // The frame address stays in an absent entry (frame_of, the monitor).
      e = (e & (kAddrMask | kDirty)) | rights(prot);
    }
    link_table(c, pt);
  }
  if (accessible && !huge) return commit_tables(addr, end, prot);
  return 0;
}

void zero(uint64_t addr, uint64_t len) {
  if (!libos::window::contains(addr, len)) return;
  uint64_t end = addr + len;
  for (uint64_t c = chunk_down(addr); c < end; c += kChunk) {
    uint64_t frame = libos::window::frame_of(c);
    if (frame == 0) continue;
    uint64_t lo = addr > c ? addr : c;
    uint64_t hi = end < c + kChunk ? end : c + kChunk;
    if (!zero_written(c, *libos::window::pde_slot(c), lo, hi, kZeroKeep)) mm::zero(frame + (lo - c), hi - lo);
  }
}

void unmap(uint64_t addr, uint64_t len) {
  if (!libos::window::contains(addr, len) || len == 0) return;
  g_ranges.remove(addr, addr + len);  // unsplittable (table full): stays reserved, harmless
  uint64_t end = addr + len;
  for (uint64_t c = chunk_down(addr); c < end; c += kChunk) {
    if (!g_ranges.overlaps(c, c + kChunk)) {
      decommit(c);
    } else {
      uint64_t lo = addr > c ? addr : c;
      uint64_t hi = end < c + kChunk ? end : c + kChunk;
      zero(lo, hi - lo);
      // The chunk stays for its other mappings; the unmapped pages become
      // absent, as on Linux. (Out of heap pages for the table, they stay
      // accessible and zero: still correct for the other mappings.)
      (void)protect(lo, hi - lo, 0, false);
    }
  }
}

void unmap_all() {
  // Removing a whole range never splits one, so each round removes one.
  for (size_t left = g_ranges.count(); left != 0 && g_ranges.count() == left; --left) {
    auto r = g_ranges[0];
    unmap(r.start, r.end - r.start);
  }
}

uint64_t committed_bytes() { return g_committed; }

void note_written(uint64_t addr, uint64_t len) {
  using namespace libos::window;
  if (len == 0 || !contains(addr, len)) return;
  for (uint64_t p = addr & ~(kPage - 1); p < addr + len; p += kPage) {
    if (frame_of(p) == 0) continue;
    if (accessible(p, 1, true)) {
      // SAFETY: the caller's buffer, just written by the monitor, writable:
      // rewriting a byte with itself changes nothing but the dirty bit.
      volatile char* b = reinterpret_cast<volatile char*>(p < addr ? addr : p);
      *b = *b;
      continue;
    }
    // Not writable here (the monitor writes the frame whatever the page's
    // rights): the bit is set in the entry itself. It only records, for
    // scrub(), that the frame holds data; no translation changes.
    uint64_t* slot = pde_slot(p);
    if (*slot & kLarge) {
      *slot |= kDirty;
    } else {
      reinterpret_cast<uint64_t*>(*slot & kAddrMask)[(p & (kChunk - 1)) / kPage] |= kDirty;
    }
  }
}

}  // namespace libos::mm::window
