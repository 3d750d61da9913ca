// shoal guest ABI: how big an XSAVE area is.
//
// Compiled by the monitor (which computes BootInfo::xsave_size from the CPUID
// table it gives the vCPU) and by the LibOS (which checks that size at
// start-up, and computes it itself from a monitor that did not pass one).
//
// NOTE: CPUID.(0xD,0).EBX is meant to be the size for the current XCR0, but
// under kvm_pvm it does not follow XCR0 (PLATFORM.md: a guest read 576 with
// XCR0 = 0xe7, which needs 2,432 bytes). So the size is what the area must
// hold: the legacy area and header, and each enabled component's offset +
// size from its own sub-leaf, cross-checked with ECX of sub-leaf 0 (the size
// for every component the CPU supports, a superset of XCR0) — the largest.
#pragma once

#include <stdint.h>

namespace shoal::abi {

inline constexpr uint32_t kXsaveLegacySize = 512;  // FXSAVE image: x87 + SSE
inline constexpr uint32_t kXsaveHeaderSize = 64;   // XSTATE_BV, XCOMP_BV, reserved
inline constexpr uint32_t kXsaveMinSize = kXsaveLegacySize + kXsaveHeaderSize;

struct CpuidRegs {
  uint32_t eax, ebx, ecx, edx;
};

// The end of the highest-placed enabled component (XCR0 bits 2..62), from
// CPUID.(0xD, i): EAX = size, EBX = offset in the standard (non-compacted)
// form. 0 if an enabled component has no layout (size 0 or an offset inside
// the legacy area and header): the caller must not guess a size then.
// leaf(i) returns CPUID.(0xD, i).
template <typename Leaf>
constexpr uint32_t xsave_components_end(uint64_t xcr0, Leaf&& leaf) {
  uint32_t end = kXsaveMinSize;
  for (uint32_t i = 2; i < 63; ++i) {
    if ((xcr0 & (uint64_t{1} << i)) == 0) continue;
    CpuidRegs r = leaf(i);
    if (r.eax == 0 || r.ebx < kXsaveMinSize) return 0;
    uint64_t top = uint64_t{r.ebx} + r.eax;
    if (top > 0xffffffffull) return 0;
    if (top > end) end = static_cast<uint32_t>(top);
  }
  return end;
}

// The bytes an XSAVE/XRSTOR of every component in xcr0 may touch, rounded up
// to 64 (areas are 64-byte aligned and laid out one after another): the
// largest of the components' end, ECX and EBX of sub-leaf 0. 0 as above.
template <typename Leaf>
constexpr uint32_t xsave_area_size(uint64_t xcr0, Leaf&& leaf) {
  uint32_t size = xsave_components_end(xcr0, leaf);
  if (size == 0) return 0;
  CpuidRegs r0 = leaf(0);
  // ECX and EBX only ever raise the size; an absurd value (a broken CPUID)
  // is ignored rather than trusted.
  constexpr uint32_t kSane = 1u << 20;
  if (r0.ecx > size && r0.ecx < kSane) size = r0.ecx;
  if (r0.ebx > size && r0.ebx < kSane) size = r0.ebx;
  return (size + 63) & ~uint32_t{63};
}

}  // namespace shoal::abi
