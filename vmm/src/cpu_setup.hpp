// The vCPU's starting state: 64-bit mode at CPL 3 with IOPL 3 (PLATFORM.md:
// guest ring 0 is emulated and slow, so the guest never needs it to start).
#pragma once

#include <linux/kvm.h>
#include <stdint.h>

#include <utility>
#include <vector>

#include <shoal/base/result.hpp>

#include "kvm.hpp"

namespace shoal::vmm {

namespace cpu {
inline constexpr uint64_t kCr0 = (1ull << 0) | (1ull << 1) | (1ull << 4) | (1ull << 5) | (1ull << 16) |
                                 (1ull << 31);  // PE MP ET NE WP PG
inline constexpr uint64_t kCr4Pae = 1ull << 5, kCr4Osfxsr = 1ull << 9, kCr4Osxmmexcpt = 1ull << 10,
                          kCr4Fsgsbase = 1ull << 16, kCr4Osxsave = 1ull << 18;
inline constexpr uint64_t kEfer = (1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11);  // SCE LME LMA NXE
inline constexpr uint32_t kMsrStar = 0xc0000081, kMsrLstar = 0xc0000082, kMsrCstar = 0xc0000083,
                          kMsrSfmask = 0xc0000084;
// SYSCALL: CS = 0x08, SS = 0x10; SYSRET: SS = 0x10 + 8 | 3, CS = 0x10 + 16 | 3.
inline constexpr uint64_t kStar = 0x00100008ull << 32;
// Cleared on SYSCALL: TF IF DF NT AC. IOPL stays (ring 3 needs it for `out`).
inline constexpr uint64_t kSfmask = (1ull << 8) | (1ull << 9) | (1ull << 10) | (1ull << 14) | (1ull << 18);
inline constexpr uint64_t kEntryRflags = 0x3002;  // IOPL 3 (see kTssSize), reserved bit 1
// XCR0 components: x87, SSE, AVX; AVX-512 opmask, ZMM_Hi256, Hi16_ZMM.
inline constexpr uint64_t kXcr0Base = 0x7, kXcr0Avx512 = 0xe0;
}  // namespace cpu

// XCR0 = x87|SSE|AVX, plus all of AVX-512 if KVM supports all of it (leaf 0xD).
uint64_t choose_xcr0(const std::vector<kvm_cpuid_entry2>& supported);
// True if the guest CPUID advertises XSAVE (leaf 1 ecx bit 26).
bool cpuid_has_xsave(const std::vector<kvm_cpuid_entry2>& supported);

// Special registers for the entry state: long mode, paging with cr3, the GDT,
// IDT and TSS at their fixed addresses, user segments loaded (CPL 3).
kvm_sregs make_entry_sregs(const kvm_sregs& current, uint64_t cr3, bool osxsave);

// General registers for the entry: rip = entry, rdi = boot info, rsp = 0.
kvm_regs make_entry_regs(uint64_t entry, uint64_t boot_info);

std::vector<std::pair<uint32_t, uint64_t>> make_syscall_msrs(uint64_t lstar);

// Applies all of the above to a vCPU (CPUID first: CR4.OSXSAVE depends on it).
Result<void> setup_vcpu(Vm& vm, Vcpu& vcpu, uint64_t cr3, uint64_t entry, uint64_t boot_info, uint64_t lstar);

}  // namespace shoal::vmm
