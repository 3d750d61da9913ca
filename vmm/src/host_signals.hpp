// Signals for the program (abi/boot.h, kHostSignals): SIGHUP, SIGINT,
// SIGQUIT, SIGUSR1, SIGUSR2 and SIGTERM sent to shoal-vmm (`kill`, Ctrl-C
// through `shoal run`, shoald's graceful stop) are forwarded into the guest
// instead of ending the monitor. The handler only counts the signal and sets
// the vCPU's immediate_exit, as the --timeout and slice handlers do; KVM_RUN
// and the `block` sleep return EINTR, and the monitor's loop hands the
// counts to the guest (Monitor::forward_host_signals).
#pragma once

#include <stdint.h>

#include <array>

#include <shoal/base/result.hpp>

#include "kvm.hpp"

namespace shoal::vmm {

// The forwarded signals this process was started with ignored (1 << sig),
// for BootInfo::host_signals_ignored; read before the handlers go in.
uint32_t inherited_ignored_host_signals();
// Installs the handler for every forwarded signal (before seccomp; no
// SA_RESTART: sleeps and KVM_RUN must return EINTR).
Result<void> install_host_signal_handlers(Vcpu* vcpu);
// Blocks (true) or unblocks the forwarded signals in the calling thread: the
// devices' threads are started with them blocked, so that a signal always
// lands in the vCPU thread and interrupts its sleep or KVM_RUN.
void block_host_signals(bool blocked);
// True if a forwarded signal arrived since the last take_host_signals().
bool host_signals_pending();
// True if a forwarded signal other than SIGCHLD is pending: a wait of the
// `process` or `host_fd` hypercalls returns -EINTR for those (SIGCHLD alone,
// which the guest ignores by default, must not interrupt a read or a wait).
bool host_signals_pending_except_child();
// The signals that arrived since the last call, per signal number.
std::array<uint32_t, 32> take_host_signals();
// Stops the handler from touching the vCPU: call before it is destroyed.
void disarm_host_signals();

}  // namespace shoal::vmm
