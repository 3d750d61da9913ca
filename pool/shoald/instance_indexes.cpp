#include "instance_indexes.hpp"

namespace shoal::pool {

uint32_t InstanceIndexes::take_lowest() {
  uint32_t index = m_free.empty() ? m_high : *m_free.begin();
  hold(index);
  return index;
}

void InstanceIndexes::hold(uint32_t index) {
  if (m_refs[index]++ > 0) return;
  // Newly held: no longer free.
  if (index < m_high) {
    m_free.erase(index);
    return;
  }
  for (uint32_t k = m_high; k < index; ++k) m_free.insert(k);
  m_high = index + 1;
}

void InstanceIndexes::release(uint32_t index) {
  auto it = m_refs.find(index);
  if (it == m_refs.end()) return;
  if (--it->second > 0) return;
  m_refs.erase(it);
  m_free.insert(index);
  // Keep the free set small: free indexes at the top lower the watermark.
  while (m_high > 0 && m_free.count(m_high - 1)) m_free.erase(--m_high);
}

}  // namespace shoal::pool
