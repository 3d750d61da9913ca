#include "mm/page_alloc.hpp"

#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/panic.hpp"
#include "mm/heap_protect.hpp"
#include "mm/range_set.hpp"

namespace libos::mm {

namespace {

// Mapped ranges; 8192 of them is far more than glibc's malloc creates, and
// keeps the table in the LibOS's .bss (128 KiB).
constinit RangeSet<8192> g_ranges;
uint64_t g_heap_lo = 0;
uint64_t g_heap_hi = 0;
uint64_t g_brk_base = 0;
uint64_t g_brk_cur = 0;

// Below 64 KiB a memset is cheaper than an exit to the monitor.
constexpr uint64_t kDiscardThreshold = 64 * 1024;

bool in_heap(uint64_t addr, uint64_t len) {
  return len != 0 && addr >= g_heap_lo && addr + len >= addr && addr + len <= g_heap_hi;
}

}  // namespace

void init(uint64_t heap_lo, uint64_t heap_hi) {
  g_heap_lo = page_up(heap_lo);
  g_heap_hi = page_down(heap_hi);
  LIBOS_ASSERT(g_heap_lo < g_heap_hi);
  g_brk_base = g_brk_cur = g_heap_lo;
  g_ranges.clear();
}

uint64_t heap_lo() { return g_heap_lo; }
uint64_t heap_hi() { return g_heap_hi; }
uint64_t brk_base() { return g_brk_base; }
uint64_t brk_current() { return g_brk_cur; }
void set_brk_current(uint64_t value) { g_brk_cur = value; }

bool is_free(uint64_t addr, uint64_t len) {
  return in_heap(addr, len) && !g_ranges.overlaps(addr, addr + len);
}

bool is_mapped(uint64_t addr, uint64_t len) {
  return in_heap(addr, len) && g_ranges.covers(addr, addr + len);
}

bool map(uint64_t addr, uint64_t len) {
  // Ranges overlapping or touching [addr, addr + len) merge into one.
  return in_heap(addr, len) && g_ranges.add(addr, addr + len);
}

void zero(uint64_t addr, uint64_t len) {
  if (len == 0) return;
  // A page the program protected (mm/heap_protect.hpp) may not be writable:
  // the host zeroes it then, whatever its size.
  if (len >= kDiscardThreshold || heap_protect::any(addr, len)) {
    shoal::abi::HcDiscard args{addr, len, 0};
    hypercall(shoal::abi::Hypercall::discard, &args);
    if (args.result == 0) return;
  }
  memset(reinterpret_cast<void*>(addr), 0, len);
}

namespace {
// Which 2 MiB frames of guest memory the host has been asked to back with
// huge pages: the advice outlives a discard (MADV_DONTNEED keeps the flag on
// the host mapping), so a frame is advised once, and a commit that reuses
// advised frames costs no exit. Guest memory below 64 GiB: 4 KiB of .bss.
constexpr uint64_t kAdvisedLimit = 64ull << 30;
uint64_t g_advised[kAdvisedLimit / kHugeChunk / 64];

bool advised(uint64_t chunk) {
  uint64_t i = chunk / kHugeChunk;
  return chunk < kAdvisedLimit && (g_advised[i / 64] >> (i % 64) & 1) != 0;
}
}  // namespace

void advise_huge(uint64_t addr, uint64_t len, uint64_t ahead) {
  uint64_t lo = (addr + kHugeChunk - 1) & ~(kHugeChunk - 1);
  uint64_t hi = (addr + len) & ~(kHugeChunk - 1);
  if (hi <= lo) return;
  bool all = true;
  for (uint64_t c = lo; c < hi && all; c += kHugeChunk) all = advised(c);
  if (all) return;
  // The frames the next top-down allocations take lie right below: advise
  // them now, in the same exit.
  uint64_t floor = (g_heap_lo + kHugeChunk - 1) & ~(kHugeChunk - 1);
  ahead &= ~(kHugeChunk - 1);
  lo = lo - floor > ahead ? lo - ahead : (lo > floor ? floor : lo);
  shoal::abi::HcAdvise args{lo, hi - lo, shoal::abi::kAdviseHuge, 0, 0};
  hypercall(shoal::abi::Hypercall::advise, &args);
  if (args.result != 0) return;
  for (uint64_t c = lo; c < hi && c < kAdvisedLimit; c += kHugeChunk) {
    uint64_t i = c / kHugeChunk;
    g_advised[i / 64] |= uint64_t{1} << (i % 64);
  }
}

void release(uint64_t addr, uint64_t len) {
  if (len == 0) return;
  // Freed pages lose the rights the program gave them: mapped again, they
  // are read-write-execute, as a new mapping.
  heap_protect::reset(addr, len);
  // A range that cannot be split (table full) stays mapped, already zeroed:
  // still correct.
  g_ranges.remove(addr, addr + len, [](uint64_t lo, uint64_t hi) { zero(lo, hi - lo); });
}

uint64_t alloc_top_down(uint64_t len) { return alloc_top_down_aligned(len, kPage); }

uint64_t alloc_top_down_aligned(uint64_t len, uint64_t align) {
  if (len == 0) return 0;
  uint64_t floor = g_brk_cur > g_heap_lo ? page_up(g_brk_cur) : g_heap_lo;
  uint64_t top = g_heap_hi;
  for (size_t i = g_ranges.count(); ; --i) {
    // Gap between range i-1 (or floor) and top.
    uint64_t gap_lo = i == 0 ? floor : g_ranges[i - 1].end;
    if (gap_lo < floor) gap_lo = floor;
    if (top >= gap_lo && top - gap_lo >= len && ((top - len) & ~(align - 1)) >= gap_lo) {
      uint64_t addr = (top - len) & ~(align - 1);
      if (!map(addr, len)) return 0;
      return addr;
    }
    if (i == 0) break;
    top = g_ranges[i - 1].start;
    if (top <= floor) break;
  }
  return 0;
}

uint64_t mapped_bytes() {
  return g_ranges.total();
}

}  // namespace libos::mm
