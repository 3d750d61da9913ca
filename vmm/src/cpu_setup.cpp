#include "cpu_setup.hpp"

#include <cpuid.h>

#include <shoal/abi/layout.h>
#include <shoal/abi/xsave.h>

#include "descriptors.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

kvm_segment code_segment(uint16_t selector, uint8_t dpl) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = 11;  // execute/read, accessed
  s.present = 1;
  s.dpl = dpl;
  s.s = 1;
  s.l = 1;
  s.g = 1;
  return s;
}

kvm_segment data_segment(uint16_t selector, uint8_t dpl) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = 3;  // read/write, accessed
  s.present = 1;
  s.dpl = dpl;
  s.s = 1;
  s.db = 1;
  s.g = 1;
  return s;
}

}  // namespace

uint64_t choose_xcr0(const std::vector<kvm_cpuid_entry2>& supported) {
  for (const auto& e : supported) {
    if (e.function == 0xd && e.index == 0) {
      uint64_t mask = (uint64_t{e.edx} << 32) | e.eax;
      uint64_t xcr0 = mask & cpu::kXcr0Base;
      if ((mask & cpu::kXcr0Avx512) == cpu::kXcr0Avx512 && (xcr0 & 0x7) == 0x7) xcr0 |= cpu::kXcr0Avx512;
      return xcr0 | 1;  // x87 is always on
    }
  }
  return 0x3;
}

bool cpuid_has_xsave(const std::vector<kvm_cpuid_entry2>& supported) {
  for (const auto& e : supported) {
    if (e.function == 1) return (e.ecx >> 26) & 1;
  }
  return false;
}

namespace {

kvm_cpuid_entry2* find_leaf(std::vector<kvm_cpuid_entry2>& entries, uint32_t function, uint32_t index) {
  for (auto& e : entries) {
    if (e.function == function && e.index == index) return &e;
  }
  return nullptr;
}

const kvm_cpuid_entry2* find_leaf(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function, uint32_t index) {
  for (const auto& e : entries) {
    if (e.function == function && e.index == index) return &e;
  }
  return nullptr;
}

constexpr uint32_t bit(unsigned n) { return 1u << n; }

// Feature bits that need the AVX (YMM) state: VEX-encoded vector
// instructions. BMI1/BMI2 are VEX-encoded too but use only general
// registers, so they stay.
constexpr uint32_t kLeaf1EcxAvx = bit(12) | bit(28) | bit(29);             // FMA AVX F16C
constexpr uint32_t kLeaf7EbxAvx = bit(5);                                  // AVX2
constexpr uint32_t kLeaf7EcxAvx = bit(9) | bit(10);                        // VAES VPCLMULQDQ
constexpr uint32_t kLeaf71EaxAvx = bit(4) | bit(23);                       // AVX-VNNI AVX-IFMA
constexpr uint32_t kLeaf71EdxAvx = bit(4) | bit(5) | bit(10);              // AVX-VNNI-INT8 -NE-CONVERT -INT16
constexpr uint32_t kExt1EcxAvx = bit(11) | bit(16);                        // AMD XOP FMA4
// Feature bits that need the AVX-512 state (opmask and ZMM).
constexpr uint32_t kLeaf7EbxAvx512 = bit(16) | bit(17) | bit(21) | bit(26) | bit(27) | bit(28) | bit(30) | bit(31);
constexpr uint32_t kLeaf7EcxAvx512 = bit(1) | bit(6) | bit(11) | bit(12) | bit(14);  // VBMI VBMI2 VNNI BITALG VPOPCNTDQ
constexpr uint32_t kLeaf7EdxAvx512 = bit(2) | bit(3) | bit(8) | bit(23);  // 4VNNIW 4FMAPS VP2INTERSECT FP16
constexpr uint32_t kLeaf71EaxAvx512 = bit(5);                              // AVX512_BF16
constexpr uint32_t kLeaf71EdxAvx512 = bit(19);                             // AVX10
// AMX needs XTILECFG and XTILEDATA (XCR0 bits 17, 18), never enabled here.
constexpr uint32_t kLeaf7EdxAmx = bit(22) | bit(24) | bit(25);
constexpr uint64_t kXcr0Amx = (1ull << 17) | (1ull << 18);

void clear(kvm_cpuid_entry2* e, uint32_t kvm_cpuid_entry2::*reg, uint32_t bits) {
  if (e != nullptr) e->*reg &= ~bits;
}

}  // namespace

std::vector<CpuFeatures> offered_cpu_features(const std::vector<kvm_cpuid_entry2>& supported) {
  std::vector<CpuFeatures> out;
  const auto* l1 = find_leaf(supported, 1, 0);
  const auto* l7 = find_leaf(supported, 7, 0);
  const auto* ld = find_leaf(supported, 0xd, 0);
  if (!cpuid_has_xsave(supported) || ld == nullptr) return out;
  uint64_t mask = (uint64_t{ld->edx} << 32) | ld->eax;
  // The LibOS sizes areas from the sub-leaves: a component without one is
  // not offered.
  auto sized = [&](uint64_t xcr0) { return xsave_area_size(supported, xcr0) != 0; };
  if ((mask & cpu::kXcr0Sse) != cpu::kXcr0Sse) return out;
  out.push_back(CpuFeatures::baseline);
  if ((mask & cpu::kXcr0Avx) != cpu::kXcr0Avx || l1 == nullptr || (l1->ecx & bit(28)) == 0 ||
      !sized(cpu::kXcr0Avx))
    return out;
  out.push_back(CpuFeatures::avx);
  if ((mask & cpu::kXcr0Avx512All) != cpu::kXcr0Avx512All || l7 == nullptr || (l7->ebx & bit(16)) == 0 ||
      !sized(cpu::kXcr0Avx512All))
    return out;
  out.push_back(CpuFeatures::avx512);
  return out;
}

uint64_t cpu_features_xcr0(CpuFeatures f) {
  switch (f) {
    case CpuFeatures::avx512: return cpu::kXcr0Avx512All;
    case CpuFeatures::avx: return cpu::kXcr0Avx;
    case CpuFeatures::baseline:
    case CpuFeatures::host: break;
  }
  return cpu::kXcr0Sse;
}

uint32_t xsave_area_size(const std::vector<kvm_cpuid_entry2>& entries, uint64_t xcr0) {
  return abi::xsave_area_size(xcr0, [&](uint32_t index) {
    const auto* e = find_leaf(entries, 0xd, index);
    return e ? abi::CpuidRegs{e->eax, e->ebx, e->ecx, e->edx} : abi::CpuidRegs{};
  });
}

void restrict_cpuid(std::vector<kvm_cpuid_entry2>& entries, uint64_t xcr0) {
  bool avx = (xcr0 & cpu::kXcr0Avx) == cpu::kXcr0Avx;
  bool avx512 = (xcr0 & cpu::kXcr0Avx512All) == cpu::kXcr0Avx512All;
  auto* l1 = find_leaf(entries, 1, 0);
  auto* l7 = find_leaf(entries, 7, 0);
  auto* l71 = find_leaf(entries, 7, 1);
  auto* ext1 = find_leaf(entries, 0x80000001, 0);
  using E = kvm_cpuid_entry2;
  if (!avx) {
    clear(l1, &E::ecx, kLeaf1EcxAvx);
    clear(l7, &E::ebx, kLeaf7EbxAvx);
    clear(l7, &E::ecx, kLeaf7EcxAvx);
    clear(l71, &E::eax, kLeaf71EaxAvx);
    clear(l71, &E::edx, kLeaf71EdxAvx);
    clear(ext1, &E::ecx, kExt1EcxAvx);
  }
  if (!avx512) {
    clear(l7, &E::ebx, kLeaf7EbxAvx512);
    clear(l7, &E::ecx, kLeaf7EcxAvx512);
    clear(l7, &E::edx, kLeaf7EdxAvx512);
    clear(l71, &E::eax, kLeaf71EaxAvx512);
    clear(l71, &E::edx, kLeaf71EdxAvx512);
    // AVX10's own leaf (0x24) says which vector lengths exist; without the
    // AVX-512 state there are none.
    for (auto& e : entries) {
      if (e.function == 0x24) e.eax = e.ebx = e.ecx = e.edx = 0;
    }
  }
  if ((xcr0 & kXcr0Amx) != kXcr0Amx) clear(l7, &E::edx, kLeaf7EdxAmx);
  // The sub-leaves (each component's offset and size) stay, also for
  // components XCR0 lacks: sizing a save of whatever the CPU really runs
  // with (the LibOS's check, glibc's XSAVEC sizing) needs them, and a KVM
  // that does not apply XCR0 would otherwise leave them undescribed.
  // From the components alone: sub-leaf 0's ECX still covers every
  // component the host supports, and is about to be replaced.
  uint32_t size = abi::xsave_components_end(xcr0, [&](uint32_t index) {
    const auto* e = find_leaf(entries, 0xd, index);
    return e ? abi::CpuidRegs{e->eax, e->ebx, e->ecx, e->edx} : abi::CpuidRegs{};
  });
  if (auto* l0 = find_leaf(entries, 0xd, 0)) {
    l0->eax = static_cast<uint32_t>(xcr0);
    l0->edx = static_cast<uint32_t>(xcr0 >> 32);
    // Both sizes describe exactly the enabled set now: ECX (every supported
    // component) because the mask is XCR0; EBX (the current XCR0) is what
    // KVM should compute, set here in case it does not (kvm_pvm).
    if (size != 0) l0->ebx = l0->ecx = size;
  }
  // Sub-leaf 1 EBX: the size for XCR0 | IA32_XSS in the compacted form; the
  // standard size bounds it (XSS is 0 here).
  if (auto* l1d = find_leaf(entries, 0xd, 1); l1d != nullptr && size != 0) l1d->ebx = size;
}

HostCpu read_host_cpu() {
  // NOTE: cpuid traps here too when the host is itself a VM (4.4 us each on
  // the standard machine): read only the sub-leaves of XCR0's components,
  // and size from what was read.
  HostCpu host;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || (c & bit(27)) == 0) return host;  // no OSXSAVE
  bool avx = (c & bit(28)) != 0;
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  host.xcr0 = (uint64_t{hi} << 32) | lo;
  auto add = [&](uint32_t function, uint32_t index) -> kvm_cpuid_entry2& {
    kvm_cpuid_entry2 e{};
    e.function = function;
    e.index = index;
    __cpuid_count(function, index, e.eax, e.ebx, e.ecx, e.edx);
    host.leaves.push_back(e);
    return host.leaves.back();
  };
  add(1, 0) = kvm_cpuid_entry2{1, 0, 0, a, b, c, d, {}};
  bool avx512 = (add(7, 0).ebx & bit(16)) != 0;
  add(7, 1);
  add(0xd, 0);
  add(0xd, 1);
  for (uint32_t i = 2; i < 63; ++i) {
    if ((host.xcr0 >> i) & 1) add(0xd, i);
  }
  host.xsave_size = xsave_area_size(host.leaves, host.xcr0);
  host.features.push_back(CpuFeatures::baseline);
  if (avx && (host.xcr0 & cpu::kXcr0Avx) == cpu::kXcr0Avx) {
    host.features.push_back(CpuFeatures::avx);
    if (avx512 && (host.xcr0 & cpu::kXcr0Avx512All) == cpu::kXcr0Avx512All)
      host.features.push_back(CpuFeatures::avx512);
  }
  return host;
}

Result<CpuConfig> make_cpu_config(const std::vector<kvm_cpuid_entry2>& supported, CpuFeatures wanted,
                                  const std::function<HostCpu()>& read_host) {
  CpuConfig config;
  config.cpuid = supported;
  config.strict = wanted != CpuFeatures::host;
  if (!cpuid_has_xsave(supported)) {
    HostCpu host = read_host();
    if (host.xcr0 == 0) {
      // No XSAVE anywhere (not a host shoal targets): CPUID as KVM gives it.
      if (config.strict) {
        return make_error(std::string("--cpu-features ") + cpu_features_name(wanted) +
                          ": not offered by this host's KVM (it offers no XSAVE)");
      }
      return config;
    }
    // KVM lists no XSAVE, yet the host has it: kvm_pvm, whose guests run
    // with the host's XCR0 and (filtered) CPUID, whatever the monitor sets
    // (docs/architecture.md, "The CPU the guest sees"; measured: KVM_SET_XCRS and KVM_SET_CPUID2 are accepted
    // and change nothing the guest reads but leaf 0xD's EBX). Only the
    // host's own variant can be had, and the areas must hold its XCR0.
    CpuFeatures have = host.features.back();
    if (config.strict && wanted != have) {
      return make_error(std::string("--cpu-features ") + cpu_features_name(wanted) +
                        ": cannot be enforced by this host's KVM: its guests run with the host's XCR0 and CPUID "
                        "(kvm_pvm), which are " + cpu_features_name(have) + " here");
    }
    config.features = have;
    config.xcr0 = host.xcr0;
    // Say in the table what the guest gets: the host's leaves 1, 7 and 0xD
    // (OSXSAVE stays KVM's, from CR4), so KVM accepts CR4.OSXSAVE and this
    // XCR0, and leaf 0xD's EBX, which KVM derives from the XCR0 it stores,
    // is right (without it, 576: too small for the host's XCR0, and glibc
    // sizes its save areas from it).
    for (const auto& h : host.leaves) {
      auto* e = find_leaf(config.cpuid, h.function, h.index);
      if (e == nullptr) {
        config.cpuid.push_back(h);
        e = &config.cpuid.back();
        e->flags = h.function == 1 ? 0 : KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
      } else {
        e->eax = h.eax, e->ecx = h.ecx, e->edx = h.edx;
        if (h.function != 1) e->ebx = h.ebx;  // leaf 1 EBX: KVM's APIC ID
      }
      if (h.function == 1) e->ecx &= ~bit(27);
    }
    config.set_xcr0 = true;
    config.xsave_components = host.xcr0;
    config.xsave_size = host.xsave_size;
    if (config.xsave_size < abi::kXsaveMinSize) return make_error("the host's CPUID leaf 0xD does not describe XSAVE");
    return config;
  }
  auto offered = offered_cpu_features(supported);
  CpuFeatures pick = wanted == CpuFeatures::host && !offered.empty() ? offered.back() : wanted;
  bool ok = false;
  for (auto f : offered) ok = ok || f == pick;
  if (!ok) {
    std::string names;
    for (auto f : offered) names += std::string(names.empty() ? "" : ", ") + cpu_features_name(f);
    return make_error(std::string("--cpu-features ") + cpu_features_name(pick) +
                      ": not offered by this host's KVM (it offers: " + (names.empty() ? "none" : names) + ")");
  }
  config.features = pick;
  config.xcr0 = cpu_features_xcr0(pick);
  config.set_xcr0 = true;
  restrict_cpuid(config.cpuid, config.xcr0);
  config.xsave_components = config.xcr0;
  config.xsave_size = xsave_area_size(config.cpuid, config.xcr0);
  if (config.xsave_size < abi::kXsaveMinSize) return make_error("CPUID leaf 0xD does not describe the XSAVE layout");
  // What the guest reads as the size (leaf 0xD EBX, ECX; glibc sizes its own
  // xsave by EBX) is the same safe size.
  if (auto* l0 = find_leaf(config.cpuid, 0xd, 0)) l0->ebx = l0->ecx = config.xsave_size;
  return config;
}

kvm_sregs make_entry_sregs(const kvm_sregs& current, uint64_t cr3, bool osxsave) {
  kvm_sregs s = current;
  s.cs = code_segment(kUserCs, 3);
  s.ss = data_segment(kUserDs, 3);
  s.ds = s.es = s.fs = s.gs = s.ss;
  s.tr = kvm_segment{};
  s.tr.base = kTssAddr;
  s.tr.limit = kTssSize - 1;
  s.tr.selector = kTssSelector;
  s.tr.type = 11;  // 64-bit TSS, busy
  s.tr.present = 1;
  s.ldt = kvm_segment{};
  s.ldt.unusable = 1;
  s.gdt.base = kGdtAddr;
  s.gdt.limit = kGdtEntries * 8 - 1;
  s.idt.base = kIdtAddr;
  s.idt.limit = kIdtEntries * 16 - 1;
  s.cr0 = cpu::kCr0;
  s.cr3 = cr3;
  s.cr4 = cpu::kCr4Pae | cpu::kCr4Osfxsr | cpu::kCr4Osxmmexcpt | cpu::kCr4Fsgsbase | (osxsave ? cpu::kCr4Osxsave : 0);
  s.efer = cpu::kEfer;
  return s;
}

kvm_regs make_entry_regs(uint64_t entry, uint64_t boot_info) {
  kvm_regs r{};
  r.rip = entry;
  r.rdi = boot_info;
  r.rsp = 0;
  r.rflags = cpu::kEntryRflags;
  return r;
}

std::vector<std::pair<uint32_t, uint64_t>> make_syscall_msrs(uint64_t lstar) {
  return {{cpu::kMsrStar, cpu::kStar}, {cpu::kMsrLstar, lstar}, {cpu::kMsrCstar, 0}, {cpu::kMsrSfmask, cpu::kSfmask}};
}

Result<void> setup_vcpu(Vcpu& vcpu, const CpuConfig& config, uint64_t cr3, uint64_t entry, uint64_t boot_info,
                        uint64_t lstar) {
  TRY(vcpu.set_cpuid(config.cpuid));
  bool xsave = config.set_xcr0;
  TRY(vcpu.set_regs(make_entry_regs(entry, boot_info)));
  auto current = TRY(vcpu.get_sregs());
  TRY(vcpu.set_sregs(make_entry_sregs(current, cr3, xsave)));
  if (xsave) {
    TRY(vcpu.set_xcr0(config.xcr0));
    // KVM derives leaf 0xD's EBX from XCR0 when the CPUID table is set; the
    // first set saw the reset XCR0 (x87 only: 576 bytes). Setting the table
    // again, now that XCR0 is final and before the first KVM_RUN, lets it
    // agree with XCR0 for glibc, which sizes its own xsave from EBX.
    TRY(vcpu.set_cpuid(config.cpuid));
  }
  TRY(vcpu.set_msrs(make_syscall_msrs(lstar)));
  return {};
}

}  // namespace shoal::vmm
