#include "time/clock.hpp"

#include "arch/x86_64/cpu.hpp"

namespace libos {

namespace {
// monotonic = g_mono0 + (rdtsc - g_tsc0) scaled; g_mono0 is 0 until a resume.
uint64_t g_tsc0 = 0;
uint64_t g_mono0 = 0;
uint64_t g_tsc_khz = 1;
// realtime = monotonic + g_realtime_offset.
uint64_t g_realtime_offset = 0;
uint64_t g_process_start = 0;

uint64_t checked_khz(uint64_t tsc_khz) { return tsc_khz == 0 ? 1000000 : tsc_khz; }  // missing: assume 1 GHz
}  // namespace

void clock_init(uint64_t boot_tsc, uint64_t tsc_khz, uint64_t realtime_ns) {
  g_tsc0 = boot_tsc;
  g_mono0 = 0;
  g_tsc_khz = checked_khz(tsc_khz);
  g_realtime_offset = realtime_ns;
  g_process_start = 0;
}

uint64_t monotonic_ns() {
  uint64_t delta = cpu::rdtsc() - g_tsc0;
  return g_mono0 + static_cast<uint64_t>(static_cast<unsigned __int128>(delta) * 1000000u / g_tsc_khz);
}

uint64_t realtime_ns() { return monotonic_ns() + g_realtime_offset; }

void clock_resync(uint64_t host_realtime_ns) {
  uint64_t mono = monotonic_ns();
  if (host_realtime_ns > mono) g_realtime_offset = host_realtime_ns - mono;
}

void clock_rebase(uint64_t monotonic_at_save, uint64_t tsc_khz, uint64_t host_realtime_ns,
                  uint64_t start_realtime_ns) {
  // NOTE: the new VM's TSC may be below the saved g_tsc0 (it restarted near
  // 0): monotonic_ns() must not run with the old anchor once we are here.
  g_tsc0 = cpu::rdtsc();
  g_mono0 = monotonic_at_save;
  g_tsc_khz = checked_khz(tsc_khz);
  if (host_realtime_ns > monotonic_at_save) g_realtime_offset = host_realtime_ns - monotonic_at_save;
  // The start as a monotonic time: never before boot, never in the future.
  uint64_t start = start_realtime_ns > g_realtime_offset ? start_realtime_ns - g_realtime_offset : 0;
  g_process_start = start > monotonic_at_save ? monotonic_at_save : start;
}

uint64_t boot_realtime_ns() { return g_realtime_offset; }

uint64_t process_start_ns() { return g_process_start; }

}  // namespace libos
