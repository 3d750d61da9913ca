// The page-range allocator over the program's heap area
// [image_end, stack_top - stack_size - kStackGuardSize).
//
// brk grows up from page_align(image_end); mmap (and the kernel heap) take
// ranges top-down. The allocator keeps the set of mapped ranges, sorted and
// merged. Invariant: every page not in the set reads as zero, so a range
// handed out again needs no clearing; release() re-establishes it.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::mm {

inline constexpr uint64_t kPage = 0x1000;
inline uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }
inline uint64_t page_down(uint64_t v) { return v & ~(kPage - 1); }

void init(uint64_t heap_lo, uint64_t heap_hi);

uint64_t heap_lo();
uint64_t heap_hi();

// Returns the address of a free range of len bytes (page multiple), as high
// as possible and above the current brk, marked mapped; 0 if none.
uint64_t alloc_top_down(uint64_t len);
// As alloc_top_down, at a multiple of align (a power of two): the frames the
// reservation window commits are 2 MiB-aligned.
uint64_t alloc_top_down_aligned(uint64_t len, uint64_t align);
// Marks [addr, addr+len) mapped. False if any of it lies outside the heap
// area or the range table is full.
bool map(uint64_t addr, uint64_t len);
// Unmaps [addr, addr+len) (any part of it may already be free) and zeroes it.
void release(uint64_t addr, uint64_t len);
// Zeroes [addr, addr+len) (page-aligned): the discard hypercall for large
// ranges (returns the pages to the host), memset for small ones.
void zero(uint64_t addr, uint64_t len);

// Mappings of at least kHugeThreshold bytes are backed by host huge pages
// (the advise hypercall) over their 2 MiB-aligned part: their first touch
// costs one host fault per 2 MiB. Smaller ones, and so the boot working set,
// stay in small pages, which keeps an idle instance's RSS small.
inline constexpr uint64_t kHugeChunk = 2ull << 20;
inline constexpr uint64_t kHugeThreshold = 4ull << 20;
// ahead: also advise up to that many bytes below addr (the frames the next
// top-down allocations take), so that a growing mapping's commits do not
// each cost an exit; frames advised already are not advised again.
void advise_huge(uint64_t addr, uint64_t len, uint64_t ahead = 0);

bool is_free(uint64_t addr, uint64_t len);
bool is_mapped(uint64_t addr, uint64_t len);

// The program break. brk_end() is page-aligned.
uint64_t brk_base();
uint64_t brk_current();
void set_brk_current(uint64_t value);

// Bytes currently mapped (for getrusage/sysinfo).
uint64_t mapped_bytes();

}  // namespace libos::mm
