#include "vm_clone.hpp"

#include <x86intrin.h>

#include "snapshot_vcpu.hpp"

namespace shoal::vmm {
namespace {
inline constexpr uint32_t kMsrTsc = 0x10;
}  // namespace

Result<VcpuCapture> capture_for_clone(Vcpu& vcpu) {
  VcpuCapture c;
  c.state = TRY(capture_vcpu(vcpu));
  auto tsc = TRY(vcpu.get_msrs({kMsrTsc}));
  c.host_tsc = __rdtsc();
  if (tsc.size() == 1) c.guest_tsc = tsc[0].second;
  return c;
}

Result<std::unique_ptr<Vcpu>> clone_vm_in_child(Vm& vm, std::unique_ptr<Vcpu> old_vcpu, int vcpu_fd,
                                                const CpuConfig& config, const VcpuCapture& capture) {
  // The old vCPU's descriptor and run page belong to the parent's VM: gone
  // first, so its number is free for the new one.
  old_vcpu.reset();
  TRY(vm.recreate_after_fork());
  auto vcpu = TRY(vm.create_vcpu());
  if (vcpu_fd >= 0) TRY(vcpu->move_fd(vcpu_fd));
  TRY(restore_vcpu(*vcpu, config, capture.state));
  if (capture.guest_tsc != 0) {
    uint64_t now = __rdtsc();
    uint64_t tsc = capture.guest_tsc + (now > capture.host_tsc ? now - capture.host_tsc : 0);
    TRY(vcpu->set_msrs({{kMsrTsc, tsc}}));
  }
  return vcpu;
}

}  // namespace shoal::vmm
