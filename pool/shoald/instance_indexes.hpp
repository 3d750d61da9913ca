// InstanceIndexes: the N of SERVICE/N. A new instance takes the lowest index
// nobody holds; an index is held by whatever stands for an instance of that
// number — a queued start, a pending restart, a live process — and each
// holder takes and drops its own reference, so a restart can hold an index
// across its instance's exit.
//
// O(log n) per call (the supervisor asked for the lowest free index by
// scanning every instance for every candidate: cubic over a mass start of
// 10,000 instances).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <set>
#include <unordered_map>

namespace shoal::pool {

class InstanceIndexes {
 public:
  // The lowest index no one holds, now held once.
  uint32_t take_lowest();
  // One more reference to `index` (free or not).
  void hold(uint32_t index);
  // Drops one reference; the index is free when none is left.
  void release(uint32_t index);
  bool held(uint32_t index) const { return m_refs.count(index) != 0; }
  size_t held_count() const { return m_refs.size(); }

 private:
  std::unordered_map<uint32_t, uint32_t> m_refs;  // held index -> references
  std::set<uint32_t> m_free;  // free indexes below m_high
  uint32_t m_high = 0;        // every index >= m_high is free
};

}  // namespace shoal::pool
