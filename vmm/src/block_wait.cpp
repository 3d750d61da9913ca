#include "block_wait.hpp"

#include "host_signals.hpp"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

namespace shoal::vmm {
namespace {

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

bool wait_for_wake(int wake_fd, uint64_t timeout_ns, const std::function<bool()>& timed_out) {
  bool forever = timeout_ns == UINT64_MAX;
  uint64_t start = monotonic_ns();
  for (;;) {
    timespec rel{};
    if (!forever) {
      uint64_t elapsed = monotonic_ns() - start;
      if (elapsed >= timeout_ns) return true;
      uint64_t left = timeout_ns - elapsed;
      if (left > (1ull << 62)) left = 1ull << 62;  // ~146 years: far enough
      rel.tv_sec = static_cast<time_t>(left / 1000000000ull);
      rel.tv_nsec = static_cast<long>(left % 1000000000ull);
    }
    pollfd p{wake_fd, POLLIN, 0};
    int rc = ppoll(&p, 1, forever ? nullptr : &rel, nullptr);
    if (rc > 0) {
      // Drain the counter so the next block sleeps; the eventfd is
      // non-blocking (shoald creates it so), and a failed read only means
      // someone else drained it.
      uint64_t value;
      if (p.revents & POLLIN) (void)!read(wake_fd, &value, sizeof value);
      return true;
    }
    if (rc == 0) return true;
    if (errno == EINTR) {
      if (timed_out && timed_out()) return false;
      if (host_signals_pending()) return true;  // a signal for the guest: it takes it now
      continue;
    }
    return true;  // a broken descriptor: never hang the guest on it
  }
}

}  // namespace shoal::vmm
