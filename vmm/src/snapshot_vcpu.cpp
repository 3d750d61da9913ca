#include "snapshot_vcpu.hpp"

#include <string.h>

#include <string>

namespace shoal::vmm {
namespace {

inline constexpr uint32_t kVcpuBlobMagic = 0x55504356;  // "VCPU"
inline constexpr uint32_t kMaxMsrs = 16;
inline constexpr uint32_t kMsrKernelGsBase = 0xc0000102, kMsrTscAux = 0xc0000103, kMsrPat = 0x277;

// The MSRs a resume restores: what setup_vcpu sets (SYSCALL's), and what the
// guest may have changed since (swapgs's KERNEL_GS_BASE). FS/GS base are in
// the special registers. TSC_AUX and PAT keep KVM's reset values (the guest
// cannot write MSRs from ring 3), so they need no saving.
const std::vector<uint32_t>& saved_msrs() {
  static const std::vector<uint32_t> kList{cpu::kMsrStar, cpu::kMsrLstar, cpu::kMsrCstar, cpu::kMsrSfmask,
                                           kMsrKernelGsBase};
  return kList;
}

struct Msr {
  uint32_t index;
  uint32_t _pad;
  uint64_t value;
};

struct VcpuBlob {
  uint32_t magic;
  uint32_t msr_count;
  uint32_t xsave_size;
  uint32_t _pad;
  kvm_regs regs;
  kvm_sregs sregs;
  kvm_xcrs xcrs;
  Msr msrs[kMaxMsrs];
  // xsave_size bytes of XSAVE area follow.
};

}  // namespace

Result<std::vector<uint8_t>> capture_vcpu(Vcpu& vcpu) {
  VcpuBlob b{};
  b.magic = kVcpuBlobMagic;
  b.regs = TRY(vcpu.get_regs());
  b.sregs = TRY(vcpu.get_sregs());
  b.xcrs = TRY(vcpu.get_xcrs());
  auto msrs = TRY(vcpu.get_msrs(saved_msrs()));
  b.msr_count = static_cast<uint32_t>(msrs.size());
  for (size_t i = 0; i < msrs.size(); ++i) b.msrs[i] = Msr{msrs[i].first, 0, msrs[i].second};
  auto xsave = TRY(vcpu.get_xsave());
  b.xsave_size = static_cast<uint32_t>(xsave.size());
  std::vector<uint8_t> out(sizeof b + xsave.size());
  memcpy(out.data(), &b, sizeof b);
  memcpy(out.data() + sizeof b, xsave.data(), xsave.size());
  return out;
}

Result<void> restore_vcpu(Vcpu& vcpu, const CpuConfig& config, const std::vector<uint8_t>& blob) {
  VcpuBlob b;
  if (blob.size() < sizeof b) return make_error("vCPU state of " + std::to_string(blob.size()) + " bytes is too short");
  memcpy(&b, blob.data(), sizeof b);
  if (b.magic != kVcpuBlobMagic) return make_error("vCPU state has a bad magic");
  if (b.msr_count > kMaxMsrs) return make_error("vCPU state lists " + std::to_string(b.msr_count) + " MSRs");
  if (blob.size() != sizeof b + b.xsave_size)
    return make_error("vCPU state of " + std::to_string(blob.size()) + " bytes, its XSAVE area says " +
                      std::to_string(sizeof b + b.xsave_size));
  if (b.xcrs.nr_xcrs > KVM_MAX_XCRS) return make_error("vCPU state lists " + std::to_string(b.xcrs.nr_xcrs) + " XCRs");
  // CPUID first: CR4.OSXSAVE in the special registers needs XSAVE in it.
  TRY(vcpu.set_cpuid(config.cpuid));
  TRY(vcpu.set_sregs(b.sregs));
  if (config.set_xcr0 && b.xcrs.nr_xcrs > 0) {
    TRY(vcpu.set_xcrs(b.xcrs));
    // As setup_vcpu: leaf 0xD's EBX follows XCR0 only when the table is set after it.
    TRY(vcpu.set_cpuid(config.cpuid));
  }
  std::vector<uint8_t> xsave(blob.begin() + sizeof b, blob.end());
  TRY(vcpu.set_xsave(xsave));
  TRY(vcpu.set_regs(b.regs));
  std::vector<std::pair<uint32_t, uint64_t>> msrs;
  for (uint32_t i = 0; i < b.msr_count; ++i) msrs.emplace_back(b.msrs[i].index, b.msrs[i].value);
  if (!msrs.empty()) TRY(vcpu.set_msrs(msrs));
  return {};
}

}  // namespace shoal::vmm
