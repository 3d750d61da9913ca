// A VM cloned by fork(): the one mechanism fork (the guest's `process`
// hypercall, fork_vm.cpp) and the snapshot machinery share (DESIGN.md
// decision 12). KVM refuses a VM descriptor from another address space, so
// a forked monitor cannot run its parent's VM: it makes a new VM over the
// guest memory the fork gave it (MAP_PRIVATE memory copy-on-write, MAP_SHARED
// regions such as the channel or a family's shared memory still shared),
// with the same memory slots and ioeventfds (Vm::recreate_after_fork), and a
// new vCPU restored from a captured state blob by the snapshot code
// (snapshot_vcpu.hpp: restore_vcpu) — no second vCPU-restore.
#pragma once

#include <stdint.h>

#include <memory>
#include <vector>

#include <shoal/base/result.hpp>

#include "cpu_setup.hpp"
#include "kvm.hpp"

namespace shoal::vmm {

// What a clone needs of the vCPU, captured in the parent before the fork.
struct VcpuCapture {
  std::vector<uint8_t> state;  // capture_vcpu's blob
  uint64_t guest_tsc = 0;      // the guest's TSC (MSR 0x10) at capture
  uint64_t host_tsc = 0;       // the host's rdtsc at the same moment
};

// Reads the vCPU (its last exit completed: rip past the `outl`).
Result<VcpuCapture> capture_for_clone(Vcpu& vcpu);

// In the forked child: destroys the inherited vCPU object (its descriptor and
// run page; its number is reused), makes the VM again over the same memory
// (Vm::recreate_after_fork), creates a vCPU at the old vCPU's descriptor
// number, and restores it to `capture` with `config`'s CPUID. The guest's TSC
// goes on from the captured value plus the host time since (so the child's
// clocks do not jump back). old_vcpu may be null (a monitor that forks
// before it made a vCPU passes vcpu_fd -1: the number KVM gives is kept).
Result<std::unique_ptr<Vcpu>> clone_vm_in_child(Vm& vm, std::unique_ptr<Vcpu> old_vcpu, int vcpu_fd,
                                                const CpuConfig& config, const VcpuCapture& capture);

}  // namespace shoal::vmm
