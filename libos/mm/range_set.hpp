// A sorted set of disjoint [start, end) address ranges in a fixed table,
// merged on insertion: what the heap's page allocator (page_alloc.cpp) and
// the reservation window (window.cpp) each record of the space they handed
// out. Lookups are binary searches; insertion and removal move the tail.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/klib.hpp"

namespace libos::mm {

template <size_t N>
class RangeSet {
 public:
  struct Range {
    uint64_t start, end;
  };

  size_t count() const { return m_count; }
  const Range& operator[](size_t i) const { return m_ranges[i]; }
  void clear() { m_count = 0; }

  // First index whose range ends after addr.
  size_t lower_index(uint64_t addr) const {
    size_t lo = 0, hi = m_count;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (m_ranges[mid].end <= addr) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // Some range shares an address with [start, end).
  bool overlaps(uint64_t start, uint64_t end) const {
    size_t i = lower_index(start);
    return i < m_count && m_ranges[i].start < end;
  }

  // One range holds all of [start, end).
  bool covers(uint64_t start, uint64_t end) const {
    size_t i = lower_index(start);
    return i < m_count && m_ranges[i].start <= start && m_ranges[i].end >= end;
  }

  // Adds [start, end), merged with every range it overlaps or touches; false
  // (nothing changed) when a new entry is needed and the table is full.
  bool add(uint64_t start, uint64_t end) {
    size_t first = lower_index(start == 0 ? 0 : start - 1);
    if (first < m_count && m_ranges[first].end < start) ++first;
    size_t last = first;
    while (last < m_count && m_ranges[last].start <= end) {
      if (m_ranges[last].start < start) start = m_ranges[last].start;
      if (m_ranges[last].end > end) end = m_ranges[last].end;
      ++last;
    }
    size_t removed = last - first;
    if (removed == 0) {
      if (m_count == N) return false;
      memmove(&m_ranges[first + 1], &m_ranges[first], (m_count - first) * sizeof(Range));
      ++m_count;
    } else if (removed > 1) {
      memmove(&m_ranges[first + 1], &m_ranges[last], (m_count - last) * sizeof(Range));
      m_count -= removed - 1;
    }
    m_ranges[first] = {start, end};
    return true;
  }

  // Removes [start, end), calling cut(lo, hi) for each piece of a range it
  // takes away, before the table changes. A range that [start, end) splits
  // in two when the table is full stays whole (cut was still called for its
  // middle): the caller decides whether keeping it is harmless.
  template <typename Cut>
  void remove(uint64_t start, uint64_t end, Cut&& cut) {
    size_t i = lower_index(start);
    while (i < m_count && m_ranges[i].start < end) {
      Range& r = m_ranges[i];
      cut(r.start > start ? r.start : start, r.end < end ? r.end : end);
      if (r.start < start && r.end > end) {
        if (m_count == N) return;
        memmove(&m_ranges[i + 2], &m_ranges[i + 1], (m_count - i - 1) * sizeof(Range));
        ++m_count;
        m_ranges[i + 1] = {end, r.end};
        r.end = start;
        return;
      }
      if (r.start < start) {
        r.end = start;
        ++i;
      } else if (r.end > end) {
        r.start = end;
        return;
      } else {
        memmove(&m_ranges[i], &m_ranges[i + 1], (m_count - i - 1) * sizeof(Range));
        --m_count;
      }
    }
  }
  void remove(uint64_t start, uint64_t end) {
    remove(start, end, [](uint64_t, uint64_t) {});
  }

  uint64_t total() const {
    uint64_t sum = 0;
    for (size_t i = 0; i < m_count; ++i) sum += m_ranges[i].end - m_ranges[i].start;
    return sum;
  }

 private:
  Range m_ranges[N] = {};
  size_t m_count = 0;
};

}  // namespace libos::mm
