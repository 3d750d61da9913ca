#include <shoal/pool/policy/level_average.hpp>

#include <algorithm>

namespace shoal::pool::policy {

LevelAverage::LevelAverage(Duration span, Duration granularity, TimePoint start, double level)
    : m_granularity_ns(std::max<int64_t>(to_ns(granularity), 1)),
      m_start_ns(std::max<int64_t>(to_ns(start), 0)),
      m_last_ns(m_start_ns),
      m_level(level) {
  // +2: the partly filled current bucket and the window's rounded-down start.
  size_t slots = static_cast<size_t>(std::max<int64_t>(to_ns(span), 0) / m_granularity_ns) + 2;
  m_integral.assign(slots, 0.0);
  m_bucket.assign(slots, -1);
}

void LevelAverage::advance(int64_t now_ns) {
  if (now_ns <= m_last_ns) return;
  int64_t t = m_last_ns;
  // Buckets older than the ring are overwritten anyway: skip to the last
  // m_integral.size() buckets before filling.
  int64_t ring_ns = static_cast<int64_t>(m_integral.size()) * m_granularity_ns;
  if (now_ns - t > ring_ns) t = std::max(t, (now_ns / m_granularity_ns + 1) * m_granularity_ns - ring_ns);
  while (t < now_ns) {
    int64_t bucket = t / m_granularity_ns;
    int64_t end = std::min(now_ns, (bucket + 1) * m_granularity_ns);
    size_t s = slot(bucket);
    if (m_bucket[s] != bucket) {
      m_bucket[s] = bucket;
      m_integral[s] = 0;
    }
    m_integral[s] += m_level * static_cast<double>(end - t);
    t = end;
  }
  m_last_ns = now_ns;
}

void LevelAverage::set(TimePoint now, double level) {
  advance(to_ns(now));
  m_level = level;
}

double LevelAverage::average(TimePoint now, Duration window) {
  int64_t now_ns = std::max(to_ns(now), m_last_ns);
  advance(now_ns);
  int64_t last_bucket = now_ns / m_granularity_ns;
  // The bucket holding now - window, so the window is never shorter than asked
  // (at most one granularity step longer), within what the ring holds.
  int64_t first_bucket = std::max<int64_t>(now_ns - std::max<int64_t>(to_ns(window), 0), 0) / m_granularity_ns;
  first_bucket = std::max(first_bucket, last_bucket - static_cast<int64_t>(m_integral.size()) + 1);
  int64_t from_ns = std::max(first_bucket * m_granularity_ns, m_start_ns);
  if (now_ns <= from_ns) return m_level;
  double total = 0;
  for (int64_t b = std::max<int64_t>(first_bucket, 0); b <= last_bucket; ++b) {
    size_t s = slot(b);
    if (m_bucket[s] == b) total += m_integral[s];
  }
  return total / static_cast<double>(now_ns - from_ns);
}

}  // namespace shoal::pool::policy
