// The TSC clock. No timer interrupts exist: time is rdtsc scaled by the TSC
// frequency the monitor passes in BootInfo, zeroed at the LibOS's first
// instruction and paired with the host's CLOCK_REALTIME sampled at entry.
//
// A snapshot resumes on another VM whose TSC starts elsewhere, maybe at
// another frequency: clock_rebase() anchors the clock anew so that
// CLOCK_MONOTONIC goes on from the value it had at the snapshot (never back,
// and without the time the snapshot spent stored). Every deadline in the
// LibOS is a monotonic time, so pending timers keep their remaining time.
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

// After a resume: CLOCK_MONOTONIC reads monotonic_at_save from the TSC read
// now on, at tsc_khz; CLOCK_REALTIME is host_realtime_ns now. The instance
// (the process, for /proc/self/stat) starts at start_realtime_ns (clamped
// into [boot, now]).
void clock_rebase(uint64_t monotonic_at_save, uint64_t tsc_khz, uint64_t host_realtime_ns,
                  uint64_t start_realtime_ns);
// CLOCK_REALTIME at monotonic 0 (/proc/stat's btime).
uint64_t boot_realtime_ns();
// CLOCK_MONOTONIC when the process started: 0 after a boot, the resume's
// time after a resume (/proc/self/stat's starttime).
uint64_t process_start_ns();

}  // namespace libos
