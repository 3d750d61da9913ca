// x86-64 page-table entry bits, as the LibOS writes and reads them (the
// window's tables, mm/window.cpp; the identity map's, mm/heap_protect.cpp).
// The monitor has its own copy for the tables it builds (vmm/src/page_tables.hpp):
// the two sides share no code but abi/.
#pragma once

#include <stdint.h>

namespace libos::pte {

inline constexpr uint64_t kPresent = 1ull << 0;
inline constexpr uint64_t kWrite = 1ull << 1;
inline constexpr uint64_t kUser = 1ull << 2;
inline constexpr uint64_t kLarge = 1ull << 7;
inline constexpr uint64_t kNoExec = 1ull << 63;
inline constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;

}  // namespace libos::pte
