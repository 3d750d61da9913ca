#include "cpu_setup.hpp"

#include <shoal/abi/layout.h>

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

Result<void> setup_vcpu(Vm& vm, Vcpu& vcpu, uint64_t cr3, uint64_t entry, uint64_t boot_info, uint64_t lstar) {
  auto cpuid = TRY(vm.supported_cpuid());
  TRY(vcpu.set_cpuid(cpuid));
  bool xsave = cpuid_has_xsave(cpuid);
  TRY(vcpu.set_regs(make_entry_regs(entry, boot_info)));
  auto current = TRY(vcpu.get_sregs());
  TRY(vcpu.set_sregs(make_entry_sregs(current, cr3, xsave)));
  if (xsave) TRY(vcpu.set_xcr0(choose_xcr0(cpuid)));
  TRY(vcpu.set_msrs(make_syscall_msrs(lstar)));
  return {};
}

}  // namespace shoal::vmm
