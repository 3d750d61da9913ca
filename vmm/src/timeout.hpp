// --timeout: a SIGALRM, delivered without SA_RESTART, interrupts KVM_RUN (or a
// blocking hypercall) with EINTR; the handler also sets the vCPU's
// immediate_exit so an alarm that lands just before KVM_RUN is not lost.
#pragma once

#include <shoal/base/result.hpp>

#include "kvm.hpp"

namespace shoal::vmm {

// Arms a one-shot alarm after seconds (> 0), then every 50 ms as a backstop.
Result<void> arm_timeout(double seconds, Vcpu* vcpu);
bool timeout_expired();
// Stops the SIGALRM handler from touching the vCPU (the timer keeps firing
// every 50 ms): call before the vCPU is destroyed. Only a store, so it is
// allowed after seccomp (setitimer is not).
void disarm_timeout();

}  // namespace shoal::vmm
