// The bridge between the event loop's clock (CLOCK_MONOTONIC nanoseconds) and
// the policies' time points (std::chrono::steady_clock, the same clock on
// Linux), so both can be mixed without reading the clock twice.
#pragma once

#include <stdint.h>
#include <time.h>

#include <shoal/pool/policy/time.hpp>

namespace shoal::pool {

inline policy::TimePoint time_point(uint64_t monotonic_ns) {
  return policy::TimePoint(std::chrono::duration_cast<policy::Clock::duration>(std::chrono::nanoseconds(monotonic_ns)));
}

inline uint64_t monotonic_ns(policy::TimePoint t) {
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return ns < 0 ? 0 : static_cast<uint64_t>(ns);
}

// CLOCK_REALTIME in nanoseconds: the time stamps of log lines.
inline uint64_t wall_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace shoal::pool
