// A wait queue of its own, for objects whose waiters should not be woken by
// every change in the file layer (vfs/wait.hpp wakes everyone): an epoll
// instance, a socket with a thread blocked in it. Waking is cheap (no exits);
// the queue lives in the object and each waiter on its own kernel stack.
#pragma once

#include <stdint.h>

#include "vfs/wait.hpp"

namespace libos::sched {
struct Thread;
}

namespace libos::fs {

class WaitQueue {
 public:
  // Blocks the calling thread until wake_all() or the monotonic deadline
  // (kNoDeadline: none). As fs_wait_interruptible: -EINTR if a signal is
  // deliverable before or after sleeping, else 1 (woken) or 0 (timed out).
  long wait(uint64_t deadline);
  void wake_all();
  bool empty() const { return m_head == nullptr; }

 private:
  struct Waiter {
    sched::Thread* thread;
    Waiter* next;
  };
  Waiter* m_head = nullptr;
};

}  // namespace libos::fs
