// Time slices (abi HcPreempt): a SIGVTALRM from ITIMER_VIRTUAL makes KVM_RUN
// return (EINTR) after slice_ns of the process's CPU time, which includes
// guest time and excludes the sleeps of the `block` hypercall, so an idle or
// single-threaded guest is never kicked. The handler only sets a flag and the
// vCPU's immediate_exit (an alarm landing just before KVM_RUN is not lost).
#pragma once

#include <stdint.h>

#include <shoal/base/result.hpp>

#include "kvm.hpp"

namespace shoal::vmm {

// Installs the SIGVTALRM handler (before seccomp; no timer yet).
Result<void> install_slice_handler(Vcpu* vcpu);
// Starts (ns > 0, periodic) or stops (0) the slice timer. setitimer with
// ITIMER_VIRTUAL is in the seccomp allowlist for this.
void set_slice_timer(uint64_t ns);
// True once per expiry since the last call.
bool take_slice_tick();
// Stops the handler from touching the vCPU: call before it is destroyed.
void disarm_slice_handler();

}  // namespace shoal::vmm
