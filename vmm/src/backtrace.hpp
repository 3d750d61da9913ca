// Backtraces without frame pointers or unwind tables: frame #0 is the
// faulting rip, then the stack is scanned upward for words that look like
// return addresses, i.e. point into executable code right after a call
// instruction. Heuristic (stale return addresses can appear), bounded, and
// every guest byte is read through GuestMemory.
#pragma once

#include <stdint.h>

#include <vector>

#include "guest_memory.hpp"

namespace shoal::vmm {

struct CodeRange {
  uint64_t start = 0;
  uint64_t end = 0;
};

inline constexpr uint64_t kMaxStackScan = 256 << 10;
inline constexpr size_t kMaxFrames = 20;

// True if the bytes before addr form a call: e8 rel32, or ff /2 with any
// ModRM/SIB/displacement form (2, 3, 4, 6 or 7 bytes long).
bool follows_call(const GuestMemory& mem, const std::vector<CodeRange>& code, uint64_t addr);

// rip first, then return addresses found in [rsp, min(rsp + kMaxStackScan, stack_end)).
std::vector<uint64_t> scan_backtrace(const GuestMemory& mem, const std::vector<CodeRange>& code, uint64_t rip,
                                     uint64_t rsp, uint64_t stack_end, size_t max_frames = kMaxFrames);

}  // namespace shoal::vmm
