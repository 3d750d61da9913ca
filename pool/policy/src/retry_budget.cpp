#include <shoal/pool/policy/retry_budget.hpp>

#include <algorithm>
#include <cmath>

namespace shoal::pool::policy {

RetryBudget::RetryBudget(const RetryBudgetConfig& config, uint32_t buckets) : m_config(config) {
  buckets = std::max(buckets, 1u);
  m_step_ns = std::max<int64_t>(to_ns(config.window) / buckets, 1);
  m_buckets.resize(buckets);
}

RetryBudget::Bucket& RetryBudget::current(TimePoint now) {
  int64_t epoch = std::max<int64_t>(to_ns(now), 0) / m_step_ns;
  Bucket& b = m_buckets[static_cast<size_t>(epoch % static_cast<int64_t>(m_buckets.size()))];
  if (b.epoch != epoch) b = Bucket{epoch, 0, 0};
  return b;
}

void RetryBudget::sum(TimePoint now, uint64_t& requests, uint64_t& retries) {
  int64_t epoch = std::max<int64_t>(to_ns(now), 0) / m_step_ns;
  int64_t oldest = epoch - static_cast<int64_t>(m_buckets.size()) + 1;
  requests = retries = 0;
  for (const Bucket& b : m_buckets) {
    if (b.epoch < oldest || b.epoch > epoch) continue;
    requests += b.requests;
    retries += b.retries;
  }
}

void RetryBudget::on_request(TimePoint now) { ++current(now).requests; }

uint64_t RetryBudget::allowance(TimePoint now) {
  uint64_t requests, retries;
  sum(now, requests, retries);
  double seconds = std::chrono::duration<double>(m_config.window).count();
  double allowed = m_config.ratio * static_cast<double>(requests) + m_config.min_per_second * seconds;
  return allowed <= 0 ? 0 : static_cast<uint64_t>(std::floor(allowed));
}

bool RetryBudget::try_retry(TimePoint now) {
  uint64_t allowed = allowance(now);
  if (retries(now) >= allowed) return false;
  ++current(now).retries;
  return true;
}

uint64_t RetryBudget::requests(TimePoint now) {
  uint64_t requests, retries;
  sum(now, requests, retries);
  return requests;
}

uint64_t RetryBudget::retries(TimePoint now) {
  uint64_t requests, retries;
  sum(now, requests, retries);
  return retries;
}

}  // namespace shoal::pool::policy
