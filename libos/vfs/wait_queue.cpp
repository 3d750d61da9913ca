#include "vfs/wait_queue.hpp"

#include "core/errno.hpp"
#include "sched/thread.hpp"
#include "sched/signal_state.hpp"

namespace libos::fs {

long WaitQueue::wait(uint64_t deadline) {
  sched::Thread* t = sched::current();
  if (sig_deliverable(t) != 0) return -EINTR;
  Waiter self{t, m_head};
  m_head = &self;
  bool woken = sched::block(deadline);
  // After a timeout or a signal this waiter is still queued: unlink it.
  for (Waiter** p = &m_head; *p != nullptr; p = &(*p)->next) {
    if (*p == &self) {
      *p = self.next;
      break;
    }
  }
  if (sig_deliverable(t) != 0) return -EINTR;
  return woken ? 1 : 0;
}

void WaitQueue::wake_all() {
  Waiter* list = m_head;
  m_head = nullptr;
  for (Waiter* w = list; w != nullptr; w = w->next) sched::wake(w->thread);
}

}  // namespace libos::fs
