// Unprivileged x86-64 instructions the LibOS uses from ring 3. CR4.FSGSBASE
// and CR4.OSXSAVE are set by the monitor (abi/boot.h), so rd/wrfsbase,
// xgetbv, xsave and xrstor work at CPL 3 at native speed. cpuid traps to the
// monitor (~28 us on PVM): only at start-up.
#pragma once

#include <stdint.h>

#include <shoal/abi/xsave.h>

namespace libos::cpu {

inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

inline uint64_t rdfsbase() {
  uint64_t v;
  asm volatile("rdfsbase %0" : "=r"(v));
  return v;
}
inline void wrfsbase(uint64_t v) { asm volatile("wrfsbase %0" : : "r"(v) : "memory"); }
inline uint64_t rdgsbase() {
  uint64_t v;
  asm volatile("rdgsbase %0" : "=r"(v));
  return v;
}
inline void wrgsbase(uint64_t v) { asm volatile("wrgsbase %0" : : "r"(v) : "memory"); }

inline uint64_t xgetbv0() {
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Saves/restores every component in mask; buf is 64-byte aligned.
inline void xsave(void* buf, uint64_t mask) {
  asm volatile("xsave64 (%0)" : : "r"(buf), "a"(static_cast<uint32_t>(mask)),
               "d"(static_cast<uint32_t>(mask >> 32)) : "memory");
}
inline void xrstor(const void* buf, uint64_t mask) {
  asm volatile("xrstor64 (%0)" : : "r"(buf), "a"(static_cast<uint32_t>(mask)),
               "d"(static_cast<uint32_t>(mask >> 32)) : "memory");
}

struct CpuidResult {
  uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidResult r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}

// The xsave area size for xcr0 from CPUID leaf 0xD (abi/xsave.h): one cpuid
// per enabled component and one for sub-leaf 0, so only for a monitor that
// did not pass the size in BootInfo. 0 if CPUID does not describe a component.
inline uint32_t xsave_area_size(uint64_t xcr0) {
  return shoal::abi::xsave_area_size(xcr0, [](uint32_t index) {
    CpuidResult r = cpuid(0xd, index);
    return shoal::abi::CpuidRegs{r.eax, r.ebx, r.ecx, r.edx};
  });
}

}  // namespace libos::cpu
