// RetryBudget: bounds retries to a share of recent traffic, so that retrying
// never multiplies the load on a pool that is already failing (the retry
// budgets of Finagle, Linkerd and Envoy).
//
// Over a sliding window (default 10 s) a retry is allowed while
//   retries < ratio x requests + min_per_second x window_seconds
// e.g. 20% of the requests plus 3 per second, so a quiet service can still
// retry now and then. Only first attempts count as requests: retries do not
// earn more retries.
#pragma once

#include <stdint.h>

#include <vector>

#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::policy {

struct RetryBudgetConfig {
  double ratio = 0.2;
  double min_per_second = 3;
  Duration window = std::chrono::seconds(10);
};

class RetryBudget {
 public:
  // The window slides in `buckets` steps (window / buckets each).
  explicit RetryBudget(const RetryBudgetConfig& config, uint32_t buckets = 10);

  // A request's first attempt.
  void on_request(TimePoint now);
  // True if a retry may be sent now; the retry is then counted.
  bool try_retry(TimePoint now);

  uint64_t requests(TimePoint now);  // in the window ending now
  uint64_t retries(TimePoint now);
  // Retries the budget allows in the window ending now (spent or not).
  uint64_t allowance(TimePoint now);

 private:
  struct Bucket {
    int64_t epoch = -1;  // window-step number this bucket holds
    uint64_t requests = 0;
    uint64_t retries = 0;
  };
  Bucket& current(TimePoint now);
  void sum(TimePoint now, uint64_t& requests, uint64_t& retries);

  RetryBudgetConfig m_config;
  int64_t m_step_ns;
  std::vector<Bucket> m_buckets;
};

}  // namespace shoal::pool::policy
