#include "mm/page_alloc.hpp"

#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/panic.hpp"

namespace libos::mm {

namespace {

struct Range {
  uint64_t start, end;
};

// Merged ranges; 8192 of them is far more than glibc's malloc creates, and
// keeps the table in the LibOS's .bss (128 KiB).
constexpr size_t kMaxRanges = 8192;
Range g_ranges[kMaxRanges];
size_t g_count = 0;
uint64_t g_heap_lo = 0;
uint64_t g_heap_hi = 0;
uint64_t g_brk_base = 0;
uint64_t g_brk_cur = 0;

// Below 64 KiB a memset is cheaper than an exit to the monitor.
constexpr uint64_t kDiscardThreshold = 64 * 1024;

// First index whose end is > addr.
size_t lower_index(uint64_t addr) {
  size_t lo = 0, hi = g_count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (g_ranges[mid].end <= addr) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

bool in_heap(uint64_t addr, uint64_t len) {
  return len != 0 && addr >= g_heap_lo && addr + len >= addr && addr + len <= g_heap_hi;
}

}  // namespace

void init(uint64_t heap_lo, uint64_t heap_hi) {
  g_heap_lo = page_up(heap_lo);
  g_heap_hi = page_down(heap_hi);
  LIBOS_ASSERT(g_heap_lo < g_heap_hi);
  g_brk_base = g_brk_cur = g_heap_lo;
  g_count = 0;
}

uint64_t heap_lo() { return g_heap_lo; }
uint64_t heap_hi() { return g_heap_hi; }
uint64_t brk_base() { return g_brk_base; }
uint64_t brk_current() { return g_brk_cur; }
void set_brk_current(uint64_t value) { g_brk_cur = value; }

bool is_free(uint64_t addr, uint64_t len) {
  if (!in_heap(addr, len)) return false;
  size_t i = lower_index(addr);
  return i == g_count || g_ranges[i].start >= addr + len;
}

bool is_mapped(uint64_t addr, uint64_t len) {
  if (!in_heap(addr, len)) return false;
  size_t i = lower_index(addr);
  return i < g_count && g_ranges[i].start <= addr && g_ranges[i].end >= addr + len;
}

bool map(uint64_t addr, uint64_t len) {
  if (!in_heap(addr, len)) return false;
  uint64_t start = addr, end = addr + len;
  // Ranges overlapping or touching [start, end) merge into one.
  size_t first = lower_index(start == 0 ? 0 : start - 1);
  if (first < g_count && g_ranges[first].end < start) ++first;
  size_t last = first;
  while (last < g_count && g_ranges[last].start <= end) {
    if (g_ranges[last].start < start) start = g_ranges[last].start;
    if (g_ranges[last].end > end) end = g_ranges[last].end;
    ++last;
  }
  size_t removed = last - first;
  if (removed == 0) {
    if (g_count == kMaxRanges) return false;
    memmove(&g_ranges[first + 1], &g_ranges[first], (g_count - first) * sizeof(Range));
    ++g_count;
  } else if (removed > 1) {
    memmove(&g_ranges[first + 1], &g_ranges[last], (g_count - last) * sizeof(Range));
    g_count -= removed - 1;
  }
  g_ranges[first] = {start, end};
  return true;
}

void zero(uint64_t addr, uint64_t len) {
  if (len == 0) return;
  if (len >= kDiscardThreshold) {
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
  uint64_t start = addr, end = addr + len;
  size_t i = lower_index(start);
  while (i < g_count && g_ranges[i].start < end) {
    Range& r = g_ranges[i];
    uint64_t cut_lo = r.start > start ? r.start : start;
    uint64_t cut_hi = r.end < end ? r.end : end;
    zero(cut_lo, cut_hi - cut_lo);
    if (r.start < start && r.end > end) {
      // Split in two.
      if (g_count == kMaxRanges) {
        // Cannot split: keep it mapped (already zeroed), which is still correct.
        return;
      }
      memmove(&g_ranges[i + 2], &g_ranges[i + 1], (g_count - i - 1) * sizeof(Range));
      ++g_count;
      g_ranges[i + 1] = {end, r.end};
      r.end = start;
      return;
    }
    if (r.start < start) {
      r.end = start;
      ++i;
    } else if (r.end > end) {
      r.start = end;
      return;
    } else {
      memmove(&g_ranges[i], &g_ranges[i + 1], (g_count - i - 1) * sizeof(Range));
      --g_count;
    }
  }
}

uint64_t alloc_top_down(uint64_t len) { return alloc_top_down_aligned(len, kPage); }

uint64_t alloc_top_down_aligned(uint64_t len, uint64_t align) {
  if (len == 0) return 0;
  uint64_t floor = g_brk_cur > g_heap_lo ? page_up(g_brk_cur) : g_heap_lo;
  uint64_t top = g_heap_hi;
  for (size_t i = g_count; ; --i) {
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
  uint64_t total = 0;
  for (size_t i = 0; i < g_count; ++i) total += g_ranges[i].end - g_ranges[i].start;
  return total;
}

}  // namespace libos::mm
