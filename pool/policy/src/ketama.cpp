#include <algorithm>

#include "hash.hpp"
#include "policies.hpp"

namespace shoal::pool::policy {
namespace {

// Bounds the ring (and the rebuild on every scale event) whatever weight is set.
constexpr uint32_t kMaxPointsPerBackend = 1u << 16;

}  // namespace

void KetamaBalancer::membership_changed() {
  m_ring.clear();
  for (const Backend& b : m_backends) {
    uint64_t points = std::min<uint64_t>(uint64_t{std::max(m_options.ketama_points, 1u)} * b.weight,
                                         kMaxPointsPerBackend);
    // A point depends only on (seed, id, replica): a backend keeps its points
    // when others come and go, which is what bounds the keys that move.
    uint64_t base = mix64(b.id ^ m_options.seed);
    for (uint64_t r = 0; r < points; ++r) m_ring.emplace_back(mix64(base + r * 0x9e3779b97f4a7c15ull), b.id);
  }
  std::sort(m_ring.begin(), m_ring.end());
}

std::optional<size_t> KetamaBalancer::choose(const RequestKey& key) {
  bool any = false;
  for (const Backend& b : m_backends) any = any || eligible(b);
  if (!any || m_ring.empty()) return std::nullopt;

  bool by_header = m_options.hash_key.source == HashKey::Source::header && !key.header.empty();
  uint64_t h = hash_bytes(by_header ? key.header : key.url, m_options.seed);
  auto it = std::lower_bound(m_ring.begin(), m_ring.end(), std::make_pair(h, BackendId{0}));
  size_t start = static_cast<size_t>(it - m_ring.begin());
  // Walk clockwise past points whose backend cannot take the request now; one
  // eligible backend exists, so the walk ends within one turn.
  for (size_t k = 0; k < m_ring.size(); ++k) {
    BackendId id = m_ring[(start + k) % m_ring.size()].second;
    const Backend* b = find(id);
    if (b && eligible(*b)) return static_cast<size_t>(b - m_backends.data());
  }
  return std::nullopt;
}

}  // namespace shoal::pool::policy
