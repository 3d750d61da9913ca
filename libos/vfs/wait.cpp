#include "vfs/wait.hpp"

#include "core/errno.hpp"
#include "sched/thread.hpp"
#include "sched/signal_state.hpp"
#include "time/clock.hpp"

namespace libos::fs {
namespace {

// Lives on the waiting thread's kernel stack while it sleeps.
struct Waiter {
  sched::Thread* thread;
  Waiter* next;
};
Waiter* g_waiters = nullptr;
int g_host_files = 0;

}  // namespace

void fs_host_files(int delta) { g_host_files += delta; }
bool fs_host_files_open() { return g_host_files > 0; }

bool fs_wait(uint64_t deadline) {
  Waiter self{sched::current(), g_waiters};
  g_waiters = &self;
  bool capped = false;
  if (g_host_files > 0) {
    uint64_t soon = fs_deadline_after(kHostPollNs);
    if (soon < deadline) {
      deadline = soon;
      capped = true;
    }
  }
  // A capped wait's end is a re-check, not the caller's timeout.
  bool woken = sched::block(deadline) || capped;
  // After a timeout this waiter is still queued: unlink it.
  for (Waiter** p = &g_waiters; *p != nullptr; p = &(*p)->next) {
    if (*p == &self) {
      *p = self.next;
      break;
    }
  }
  return woken;
}

long fs_wait_interruptible(uint64_t deadline) {
  if (sig_deliverable(sched::current()) != 0) return -EINTR;
  bool woken = fs_wait(deadline);
  if (sig_deliverable(sched::current()) != 0) return -EINTR;
  return woken ? 1 : 0;
}

void fs_notify() {
  Waiter* list = g_waiters;
  g_waiters = nullptr;
  for (Waiter* w = list; w != nullptr; w = w->next) sched::wake(w->thread);
}

uint64_t fs_monotonic_ns() { return monotonic_ns(); }

uint64_t fs_deadline_after(uint64_t timeout_ns) {
  uint64_t now = monotonic_ns();
  uint64_t deadline;
  if (__builtin_add_overflow(now, timeout_ns, &deadline) || deadline == kNoDeadline) return kNoDeadline - 1;
  return deadline;
}

}  // namespace libos::fs
