#include <algorithm>

#include "policies.hpp"

namespace shoal::pool::policy {

std::optional<size_t> WarmFirstBalancer::choose(const RequestKey&) {
  uint64_t warm_load = std::max<uint32_t>(m_options.warm_load, 1);
  // First pass, from the most recent: the first backend below its warm load.
  // Every backend passed over is loaded or cannot be picked, so the pass is
  // as long as the service's busy set, not its size.
  for (uint32_t n = m_head; n != kNil; n = m_nodes[n].next) {
    size_t i = *index_of(m_nodes[n].id);
    const Backend& b = m_backends[i];
    if (eligible(b) && b.in_flight < warm_load * b.weight) {
      unlink(n);
      push_front(n);
      return i;
    }
  }
  // Every eligible backend carries its warm load: spread over the least
  // loaded (relative to weight), the most recent among equals.
  uint32_t best = kNil;
  size_t best_index = 0;
  for (uint32_t n = m_head; n != kNil; n = m_nodes[n].next) {
    size_t i = *index_of(m_nodes[n].id);
    const Backend& b = m_backends[i];
    if (!eligible(b)) continue;
    const Backend& c = m_backends[best_index];
    if (best == kNil || uint64_t{b.in_flight} * c.weight < uint64_t{c.in_flight} * b.weight) {
      best = n;
      best_index = i;
    }
  }
  if (best == kNil) return std::nullopt;
  unlink(best);
  push_front(best);
  return best_index;
}

void WarmFirstBalancer::backend_added(BackendId id) {
  uint32_t n;
  if (!m_free.empty()) {
    n = m_free.back();
    m_free.pop_back();
  } else {
    n = static_cast<uint32_t>(m_nodes.size());
    m_nodes.emplace_back();
  }
  m_nodes[n] = Node{.id = id};
  m_node[id] = n;
  // A new instance is the coldest: it is woken only when the others are loaded.
  push_back(n);
}

void WarmFirstBalancer::backend_removed(BackendId id) {
  auto it = m_node.find(id);
  if (it == m_node.end()) return;
  unlink(it->second);
  m_free.push_back(it->second);
  m_node.erase(it);
}

void WarmFirstBalancer::unlink(uint32_t n) {
  Node& x = m_nodes[n];
  if (x.prev != kNil) m_nodes[x.prev].next = x.next;
  else m_head = x.next;
  if (x.next != kNil) m_nodes[x.next].prev = x.prev;
  else m_tail = x.prev;
  x.prev = x.next = kNil;
}

void WarmFirstBalancer::push_front(uint32_t n) {
  m_nodes[n].next = m_head;
  if (m_head != kNil) m_nodes[m_head].prev = n;
  m_head = n;
  if (m_tail == kNil) m_tail = n;
}

void WarmFirstBalancer::push_back(uint32_t n) {
  m_nodes[n].prev = m_tail;
  if (m_tail != kNil) m_nodes[m_tail].next = n;
  m_tail = n;
  if (m_head == kNil) m_head = n;
}

}  // namespace shoal::pool::policy
