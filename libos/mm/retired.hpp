// Frames and page tables the reservation window (mm/window.cpp) gave up,
// kept for its next commits instead of going back to the heap at once.
//
// Why: returning a chunk's frame to the heap zeroed it with the discard
// hypercall (an exit, ~60 us here, plus a host fault per page touched again
// later), and returning its page table memset a page the shadow MMU still
// write-protected (emulated writes). An mmap/munmap pair of a small mapping
// cost 150-300 us that way. A retired frame is zeroed by the window before it
// is kept (only its dirty pages, through the mapping that dirtied them, at
// native speed), so handing it out again costs nothing; a page table is
// rewritten whole by its next user.
//
// Retired frames stay taken from the heap area: --memory still bounds them
// with everything committed, and a commit that needs their room flushes them
// (release, as before); the break and the LibOS's own allocations do not, so
// at most a sixteenth of the heap area is kept, and at most kMaxFrames: an
// instance holds at most that much host memory more than it uses; an idle
// program retires none.
#pragma once

#include <stdint.h>

namespace libos::mm::retired {

inline constexpr int kMaxFrames = 8;   // 16 MiB of 2 MiB frames
inline constexpr int kMaxTables = 64;  // 256 KiB of page tables

// Keeps a zeroed 2 MiB frame; false when full (the caller releases it).
bool put_frame(uint64_t frame);
// A zeroed frame, or 0.
uint64_t take_frame();
// Keeps a page-table page (contents undefined); false when full.
bool put_table(uint64_t page);
// A page for a page table (contents undefined), or 0.
uint64_t take_table();
// Returns every kept frame and table to the heap (zeroed there).
void flush();
// Bytes kept (taken from the heap, not committed to any mapping).
uint64_t bytes();

}  // namespace libos::mm::retired
