// The vCPU's starting state: 64-bit mode at CPL 3 with IOPL 3 (guest ring 0
// is emulated and slow on the PVM hosts this runs on, so the guest never
// needs it to start: docs/architecture.md, "Why ring 3").
#pragma once

#include <linux/kvm.h>
#include <stdint.h>

#include <functional>
#include <utility>
#include <vector>

#include <shoal/base/result.hpp>

#include "cpu_features.hpp"
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
inline constexpr uint64_t kXcr0Sse = 0x3, kXcr0Avx = 0x7, kXcr0Avx512All = 0xe7;
}  // namespace cpu

// XCR0 = x87|SSE|AVX, plus all of AVX-512 if KVM supports all of it (leaf 0xD).
uint64_t choose_xcr0(const std::vector<kvm_cpuid_entry2>& supported);
// True if the guest CPUID advertises XSAVE (leaf 1 ecx bit 26).
bool cpuid_has_xsave(const std::vector<kvm_cpuid_entry2>& supported);

// The variants (never `host`) KVM's supported CPUID can give a guest: each
// needs its XCR0 components in leaf 0xD and its CPUID feature bit (AVX;
// AVX512F), and each includes the ones below it. Empty without XSAVE.
std::vector<CpuFeatures> offered_cpu_features(const std::vector<kvm_cpuid_entry2>& supported);

// XCR0 of a variant other than `host`.
uint64_t cpu_features_xcr0(CpuFeatures f);

// Makes `entries` advertise exactly the state components of xcr0: leaf 1's
// AVX, FMA, F16C; leaf 7's AVX2, AVX-512*, VAES, VPCLMULQDQ, AMX and AVX-VNNI
// family; AMD's XOP and FMA4; and leaf 0xD (sub-leaf 0's mask and sizes, the
// sub-leaves of disabled user components zeroed). Glibc and programs detect
// features from these leaves; a bit set for a component XCR0 lacks would
// send them into #UD.
void restrict_cpuid(std::vector<kvm_cpuid_entry2>& entries, uint64_t xcr0);

// The xsave area size for xcr0 according to `entries` (abi/xsave.h): 0 if an
// enabled component has no sub-leaf.
uint32_t xsave_area_size(const std::vector<kvm_cpuid_entry2>& entries, uint64_t xcr0);

// The host CPU as the monitor process sees it (native cpuid, xgetbv): under
// kvm_pvm this, not KVM's table, is what a guest runs with.
struct HostCpu {
  uint64_t xcr0 = 0;        // 0: no OSXSAVE
  uint32_t xsave_size = 0;  // for xcr0 (abi/xsave.h)
  std::vector<CpuFeatures> features;  // the variants a host process has
  std::vector<kvm_cpuid_entry2> leaves;  // native leaves 1, 7.0, 7.1 and 0xD.*
};
HostCpu read_host_cpu();

// What the vCPU gets: the CPUID table, XCR0 and the xsave area size the
// guest must use (for BootInfo).
struct CpuConfig {
  std::vector<kvm_cpuid_entry2> cpuid;
  CpuFeatures features = CpuFeatures::baseline;  // resolved, never `host`
  uint64_t xcr0 = 0;              // the XCR0 the guest should run with (0: unknown)
  bool set_xcr0 = false;          // KVM_SET_XCRS it (KVM virtualizes XSAVE)
  uint64_t xsave_components = 0;  // what xsave_size covers (xcr0)
  uint32_t xsave_size = 0;
  bool strict = false;            // a variant was named (abi kCpuVariantStrict)
};

// The configuration for `wanted` from KVM's supported CPUID, and the host's
// CPU (read_host, called only when KVM's table lists no XSAVE: kvm_pvm). An
// error (one line, naming what the host offers) if it cannot be had: a
// variant the CPU or KVM lacks, or, under a KVM whose guests run with the
// host's XCR0 and CPUID (kvm_pvm: its table does not even list XSAVE), any
// variant but the host's own.
Result<CpuConfig> make_cpu_config(const std::vector<kvm_cpuid_entry2>& supported, CpuFeatures wanted,
                                  const std::function<HostCpu()>& read_host = read_host_cpu);
// Special registers for the entry state: long mode, paging with cr3, the GDT,
// IDT and TSS at their fixed addresses, user segments loaded (CPL 3).
kvm_sregs make_entry_sregs(const kvm_sregs& current, uint64_t cr3, bool osxsave);

// General registers for the entry: rip = entry, rdi = boot info, rsp = 0.
kvm_regs make_entry_regs(uint64_t entry, uint64_t boot_info);

std::vector<std::pair<uint32_t, uint64_t>> make_syscall_msrs(uint64_t lstar);

// Applies all of the above to a vCPU (CPUID first: CR4.OSXSAVE depends on it).
Result<void> setup_vcpu(Vcpu& vcpu, const CpuConfig& config, uint64_t cr3, uint64_t entry, uint64_t boot_info,
                        uint64_t lstar);

}  // namespace shoal::vmm
