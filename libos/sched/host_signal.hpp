// Signals from outside the instance (abi/boot.h, kHostSignals): SIGTERM,
// SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 sent to the monitor. It counts
// them in BootInfo during an exit; the LibOS compares the counts with what it
// has taken and posts each new one to the process as `kill` from outside
// would (SI_USER): at a system call's exit (signal_attention), when `block`
// returns, and at an upcall the monitor enters for them in program code.
#pragma once

#include <stdint.h>

#include <shoal/abi/boot.h>
#include <shoal/abi/layout.h>

namespace libos {

extern uint32_t g_host_signals_seen;

// True when the monitor counted a signal the LibOS has not taken (one load).
inline bool host_signals_new() {
  // SAFETY: BootInfo is mapped user read-only at kBootInfoAddr; the monitor
  // writes this field during exits, hence volatile.
  const auto* boot = reinterpret_cast<const volatile shoal::abi::BootInfo*>(shoal::abi::kBootInfoAddr);
  return boot->host_signal_total != g_host_signals_seen;
}

// Posts every signal counted since the last call (signal_post, SI_USER).
void host_signals_take();

// At boot: the forwarded signals the monitor was started with ignored start
// ignored (BootInfo::host_signals_ignored), as across an exec on Linux.
void host_signals_init(const shoal::abi::BootInfo& boot);

// True if a forwarded signal could end a wait without a deadline: the
// program handles one (a handler, not the default or ignore).
bool host_signals_can_wake();

}  // namespace libos
