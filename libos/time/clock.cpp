#include "time/clock.hpp"

#include "arch/x86_64/cpu.hpp"

namespace libos {

namespace {
uint64_t g_tsc0 = 0;
uint64_t g_tsc_khz = 1;
// realtime = monotonic + g_realtime_offset.
uint64_t g_realtime_offset = 0;
}  // namespace

void clock_init(uint64_t boot_tsc, uint64_t tsc_khz, uint64_t realtime_ns) {
  g_tsc0 = boot_tsc;
  g_tsc_khz = tsc_khz == 0 ? 1000000 : tsc_khz;  // a missing frequency: assume 1 GHz
  g_realtime_offset = realtime_ns;
}

uint64_t monotonic_ns() {
  uint64_t delta = cpu::rdtsc() - g_tsc0;
  return static_cast<uint64_t>(static_cast<unsigned __int128>(delta) * 1000000u / g_tsc_khz);
}

uint64_t realtime_ns() { return monotonic_ns() + g_realtime_offset; }

void clock_resync(uint64_t host_realtime_ns) {
  uint64_t mono = monotonic_ns();
  if (host_realtime_ns > mono) g_realtime_offset = host_realtime_ns - mono;
}

}  // namespace libos
