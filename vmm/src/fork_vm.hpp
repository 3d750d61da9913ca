// fork of an instance (the `process` hypercall's kProcessFork): the monitor
// process forks itself, and the child monitor runs a copy-on-write clone of
// the VM (vm_clone.hpp). docs/architecture.md, "Processes".
#pragma once

#include <memory>

#include <shoal/base/result.hpp>

#include "cpu_setup.hpp"
#include "family.hpp"
#include "hypercalls.hpp"
#include "kvm.hpp"

namespace shoal::vmm {

struct ForkContext {
  Vm* vm = nullptr;
  std::unique_ptr<Vcpu>* vcpu = nullptr;  // replaced in the child
  const CpuConfig* cpu = nullptr;
  Family* family = nullptr;
  // Why this instance cannot fork (a device two processes cannot share), or
  // empty.
  std::string refused;
};

struct ForkOutcome {
  bool child = false;
  Vcpu* vcpu = nullptr;  // the child's new vCPU
};

// Serves kProcessFork at guest address args, the exit already completed.
// In the parent: the HcProcess fields say the child's pid (or -errno). In the
// child (a new host process): the new VM and vCPU are made, the signal and
// slice handlers point at the new vCPU, and the fields say 0. An error in
// the child ends it (status 1, as a monitor error).
Result<ForkOutcome> fork_instance(ForkContext& ctx, HypercallEnv& env, GuestAddr args);

}  // namespace shoal::vmm
