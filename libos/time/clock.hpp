// The TSC clock. No timer interrupts exist: time is rdtsc scaled by the TSC
// frequency the monitor passes in BootInfo, zeroed at the LibOS's first
// instruction and paired with the host's CLOCK_REALTIME sampled at entry.
#pragma once

#include <stdint.h>

namespace libos {

void clock_init(uint64_t boot_tsc, uint64_t tsc_khz, uint64_t realtime_ns);
// Nanoseconds since boot (CLOCK_MONOTONIC).
uint64_t monotonic_ns();
// CLOCK_REALTIME in nanoseconds since the epoch.
uint64_t realtime_ns();
// The block hypercall returns the host's realtime: re-anchor the offset.
void clock_resync(uint64_t host_realtime_ns);

}  // namespace libos
