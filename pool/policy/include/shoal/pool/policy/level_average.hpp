// LevelAverage: the time-weighted average of a level (such as the number of
// requests in flight) over a trailing window.
//
// set(now, v) says "from now on the level is v"; the level holds between
// calls, so the caller may report every change (each request start and end)
// or sample on a tick, and the average is right either way. Memory is a ring
// of span / granularity buckets holding level x time; averages are over whole
// buckets (the window is rounded up to a granularity step).
#pragma once

#include <stdint.h>

#include <vector>

#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::policy {

class LevelAverage {
 public:
  // `span`: the longest window average() will be asked for.
  LevelAverage(Duration span, Duration granularity, TimePoint start, double level = 0);

  void set(TimePoint now, double level);
  double level() const { return m_level; }
  // Average over [now - window, now], or over [start, now] if that is shorter.
  // Times before the last set() are taken as that time.
  double average(TimePoint now, Duration window);

 private:
  void advance(int64_t now_ns);
  size_t slot(int64_t bucket) const { return static_cast<size_t>(bucket % static_cast<int64_t>(m_integral.size())); }

  int64_t m_granularity_ns;
  int64_t m_start_ns;
  int64_t m_last_ns;   // time up to which buckets hold the level's integral
  double m_level;
  std::vector<double> m_integral;  // level x ns accumulated in each bucket
  std::vector<int64_t> m_bucket;   // which bucket number each slot holds (-1 = none)
};

}  // namespace shoal::pool::policy
