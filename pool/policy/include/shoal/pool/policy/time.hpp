// Time as the policies see it: passed in by the caller, never read inside.
//
// Every policy object (balancers, admission, retry budget, health, back-off,
// autoscaler) takes `now` as an argument, so the daemon drives them from its
// event loop's clock and unit tests drive them from a fake one, deterministically.
#pragma once

#include <stdint.h>

#include <chrono>

namespace shoal::pool::policy {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::nanoseconds;

// Nanoseconds since the clock's epoch; policies do their arithmetic on these.
inline int64_t to_ns(TimePoint t) { return t.time_since_epoch().count(); }
inline int64_t to_ns(Duration d) { return d.count(); }

}  // namespace shoal::pool::policy
