#include <math.h>

#include "hash.hpp"
#include "policies.hpp"

namespace shoal::pool::policy {

std::optional<size_t> IpHashBalancer::choose(const RequestKey& key) {
  uint64_t key_hash = hash_bytes(key.client_ip, m_options.seed);
  std::optional<size_t> best;
  double best_score = 0;
  for (size_t i = 0; i < m_backends.size(); ++i) {
    const Backend& b = m_backends[i];
    if (!eligible(b)) continue;
    uint64_t h = mix64(key_hash ^ mix64(b.id + 0x9e3779b97f4a7c15ull));
    // u uniform in (0, 1): ln(u) / weight is the weighted rendezvous score
    // (a backend of weight w wins a share w / sum(weights) of the keys).
    double u = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;
    double score = log(u) / b.weight;
    if (!best || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

}  // namespace shoal::pool::policy
