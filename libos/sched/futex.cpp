#include "sched/futex.hpp"

#include "arch/x86_64/cpu.hpp"
#include "core/errno.hpp"
#include "core/family.hpp"
#include "core/uaccess.hpp"
#include "sched/thread.hpp"
#include "sched/syscalls.hpp"
#include "time/clock.hpp"
#include "uapi/time.hpp"
#include "uapi/futex.hpp"

namespace libos {
using namespace libos::uapi;  // Linux's names, as the man pages spell them

namespace {

using sched::Thread;

Thread* g_head = nullptr;
Thread* g_tail = nullptr;

void enqueue(Thread* t, uint32_t* addr, uint32_t bitset) {
  t->futex_addr = addr;
  t->futex_bitset = bitset;
  t->futex_pi_target = nullptr;
  t->futex_next = nullptr;
  t->futex_prev = g_tail;
  if (g_tail != nullptr) {
    g_tail->futex_next = t;
  } else {
    g_head = t;
  }
  g_tail = t;
}

void dequeue(Thread* t) {
  if (t->futex_prev != nullptr) {
    t->futex_prev->futex_next = t->futex_next;
  } else {
    g_head = t->futex_next;
  }
  if (t->futex_next != nullptr) {
    t->futex_next->futex_prev = t->futex_prev;
  } else {
    g_tail = t->futex_prev;
  }
  t->futex_next = t->futex_prev = nullptr;
  t->futex_addr = nullptr;
}

// Converts a futex timeout to a monotonic deadline; -EINVAL for a bad one.
long deadline_for(const uapi::Timespec* ts, bool absolute, bool realtime, uint64_t* out) {
  if (ts == nullptr) {
    *out = sched::kNoDeadline;
    return 0;
  }
  if (!user_readable(ts, sizeof(*ts))) return -EFAULT;
  if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= static_cast<int64_t>(uapi::kNsPerSec)) return -EINVAL;
  uint64_t ns = static_cast<uint64_t>(ts->sec) * uapi::kNsPerSec + static_cast<uint64_t>(ts->nsec);
  uint64_t now = monotonic_ns();
  if (!absolute) {
    *out = now + ns;
  } else if (realtime) {
    uint64_t rt = realtime_ns();
    *out = ns > rt ? now + (ns - rt) : now;
  } else {
    *out = ns;
  }
  return 0;
}

// A futex word in the family region (core/family.hpp: a /dev/shm mapping, a
// System V segment) may be changed and woken by another process of the
// family, whose FUTEX_WAKE cannot reach this process's queue: a waiter there
// looks at the word again every kSharedPollNs and returns 0 once it changed
// (a spurious wake-up, which FUTEX_WAIT's callers allow).
constexpr uint64_t kSharedPollNs = 2'000'000;

long wait(uint32_t* addr, uint32_t val, uint64_t deadline, uint32_t bitset) {
  if (bitset == 0) return -EINVAL;
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val) return -EAGAIN;
  bool shared = family::contains(reinterpret_cast<uint64_t>(addr), sizeof *addr);
  Thread* t = sched::current();
  for (;;) {
    uint64_t until = deadline;
    if (shared) {
      uint64_t poll = monotonic_ns() + kSharedPollNs;
      if (poll < until) until = poll;
    }
    enqueue(t, addr, bitset);
    bool woken = sched::block(until);
    if (!woken) {
      if (t->futex_addr != nullptr) dequeue(t);
      if (until != deadline) {
        if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val) return 0;
        continue;
      }
      return -ETIMEDOUT;
    }
    if (t->futex_addr != nullptr) {
      dequeue(t);  // woken by a signal, not by futex_wake
      return -EINTR;
    }
    return 0;
  }
}

long wake_op(uint32_t* addr1, int n1, uint32_t* addr2, int n2, uint32_t encoded) {
  if (!user_writable(addr2, 4)) return -EFAULT;
  unsigned op = (encoded >> 28) & 7;
  bool shift = (encoded >> 31) & 1;
  unsigned cmp = (encoded >> 24) & 15;
  uint32_t oparg = (encoded >> 12) & 0xfff;
  uint32_t cmparg = encoded & 0xfff;
  if (shift) oparg = 1u << (oparg & 31);
  uint32_t old = *addr2;
  uint32_t fresh;
  switch (op) {
    case FUTEX_OP_SET: fresh = oparg; break;
    case FUTEX_OP_ADD: fresh = old + oparg; break;
    case FUTEX_OP_OR: fresh = old | oparg; break;
    case FUTEX_OP_ANDN: fresh = old & ~oparg; break;
    case FUTEX_OP_XOR: fresh = old ^ oparg; break;
    default: return -ENOSYS;
  }
  *addr2 = fresh;
  int woken = futex_wake(addr1, n1, ~0u);
  bool hit;
  int32_t o = static_cast<int32_t>(old), a = static_cast<int32_t>(cmparg);
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: hit = o == a; break;
    case FUTEX_OP_CMP_NE: hit = o != a; break;
    case FUTEX_OP_CMP_LT: hit = o < a; break;
    case FUTEX_OP_CMP_LE: hit = o <= a; break;
    case FUTEX_OP_CMP_GT: hit = o > a; break;
    case FUTEX_OP_CMP_GE: hit = o >= a; break;
    default: return -ENOSYS;
  }
  if (hit) woken += futex_wake(addr2, n2, ~0u);
  return woken;
}

long requeue(uint32_t* addr1, int n_wake, int n_requeue, uint32_t* addr2) {
  if (n_wake < 0 || n_requeue < 0) return -EINVAL;
  int done = 0;
  Thread* t = g_head;
  while (t != nullptr) {
    Thread* next = t->futex_next;
    if (t->futex_addr == addr1) {
      // A FUTEX_WAIT_REQUEUE_PI waiter is moved only by CMP_REQUEUE_PI.
      if (t->futex_pi_target != nullptr) return -EINVAL;
      if (done < n_wake) {
        dequeue(t);
        sched::wake(t);
        ++done;
      } else if (n_requeue > 0) {
        t->futex_addr = addr2;
        --n_requeue;
        ++done;
      } else {
        break;
      }
    }
    t = next;
  }
  return done;
}

bool has_requeue_pi_waiter(uint32_t* addr) {
  for (Thread* t = g_head; t != nullptr; t = t->futex_next) {
    if (t->futex_addr == addr && t->futex_pi_target != nullptr) return true;
  }
  return false;
}

// The first thread queued on addr, or nullptr.
Thread* first_waiter(uint32_t* addr) {
  for (Thread* t = g_head; t != nullptr; t = t->futex_next) {
    if (t->futex_addr == addr) return t;
  }
  return nullptr;
}

// Priority-inheritance futexes. One vCPU and no priorities: what is left of
// PI is the word's protocol (owner tid | FUTEX_WAITERS | FUTEX_OWNER_DIED),
// ownership handed to the first waiter on unlock, and the errors. A lock
// word without an owner (0, or OWNER_DIED after its owner's death) is taken
// with OWNER_DIED kept, so the robust mutex's next locker sees EOWNERDEAD.
long lock_pi(uint32_t* addr, uint64_t deadline, bool trylock) {
  if (!user_writable(addr, 4)) return -EFAULT;
  Thread* self = sched::current();
  uint32_t tid = static_cast<uint32_t>(self->tid);
  bool waited = false;
  for (;;) {
    uint32_t val = __atomic_load_n(addr, __ATOMIC_SEQ_CST);
    uint32_t owner = val & FUTEX_TID_MASK;
    if (owner == tid) return waited ? 0 : -EDEADLK;  // handed over by unlock_pi, or a relock
    if (owner == 0) {
      uint32_t fresh = tid | (val & FUTEX_OWNER_DIED) | (first_waiter(addr) != nullptr ? FUTEX_WAITERS : 0);
      if (__atomic_compare_exchange_n(addr, &val, fresh, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        return 0;
      }
      continue;
    }
    // An owner that is not a live thread will never unlock (Linux: ESRCH).
    if (sched::find(static_cast<int>(owner)) == nullptr) return -ESRCH;
    // Linux marks the word FUTEX_WAITERS before it knows a trylock fails.
    if ((val & FUTEX_WAITERS) == 0 &&
        !__atomic_compare_exchange_n(addr, &val, val | FUTEX_WAITERS, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
      continue;
    }
    if (trylock) return -EAGAIN;
    enqueue(self, addr, ~0u);
    bool woken = sched::block(deadline);
    if (self->futex_addr != nullptr) dequeue(self);  // a signal or the deadline
    waited = true;
    // Linux restarts an interrupted LOCK_PI after the handler; here the
    // signal waits until the lock is taken (or the deadline passes).
    if (!woken && (__atomic_load_n(addr, __ATOMIC_SEQ_CST) & FUTEX_TID_MASK) != tid) return -ETIMEDOUT;
  }
}

// FUTEX_WAIT_REQUEUE_PI / FUTEX_CMP_REQUEUE_PI (man 2 futex): a condition
// variable over a PI mutex. The waiter sleeps on the condition's futex uaddr
// and returns owning the PI futex uaddr2: either CMP_REQUEUE_PI took the
// free lock for it (the top waiter) and woke it, or moved it to uaddr2's
// queue, where unlock_pi hands the lock over as to any PI waiter.
long wait_requeue_pi(uint32_t* uaddr, uint32_t val, uint64_t deadline, uint32_t* uaddr2) {
  if (uaddr == uaddr2) return -EINVAL;
  if (!user_writable(uaddr2, 4)) return -EFAULT;
  if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val) return -EAGAIN;
  Thread* self = sched::current();
  uint32_t tid = static_cast<uint32_t>(self->tid);
  enqueue(self, uaddr, ~0u);
  self->futex_pi_target = uaddr2;
  bool woken = sched::block(deadline);
  bool owner = (__atomic_load_n(uaddr2, __ATOMIC_SEQ_CST) & FUTEX_TID_MASK) == tid;
  uint32_t* queued_on = self->futex_addr;  // still queued: the deadline or a signal
  if (queued_on != nullptr) dequeue(self);
  self->futex_pi_target = nullptr;
  if (owner) return 0;
  if (queued_on == nullptr) {
    // Woken off the queue without the lock: not something the wakers here
    // do (futex_wake skips these waiters); take the lock as LOCK_PI would.
    return lock_pi(uaddr2, deadline, false);
  }
  if (!woken) return -ETIMEDOUT;
  // A signal. Still on uaddr: Linux restarts the call after the handler
  // (ERESTARTNOINTR); here -EINTR, restarted with SA_RESTART. Already
  // requeued: Linux gives -EWOULDBLOCK (the caller then locks the mutex).
  return queued_on == uaddr ? -EINTR : -EAGAIN;
}

long cmp_requeue_pi(uint32_t* uaddr, int nr_wake, int nr_requeue, uint32_t* uaddr2, uint32_t cmpval) {
  if (nr_wake < 0 || nr_requeue < 0) return -EINVAL;
  // Linux: two distinct futexes, and exactly one waiter to wake (the one
  // the free lock is taken for).
  if (uaddr == uaddr2 || nr_wake != 1) return -EINVAL;
  if (!user_writable(uaddr2, 4)) return -EFAULT;
  if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != cmpval) return -EAGAIN;
  int count = 0;
  if (Thread* top = first_waiter(uaddr); top != nullptr) {
    if (top->futex_pi_target != uaddr2) return -EINVAL;  // not a WAIT_REQUEUE_PI to uaddr2
    uint32_t v = __atomic_load_n(uaddr2, __ATOMIC_SEQ_CST);
    uint32_t owner = v & FUTEX_TID_MASK;
    if (owner == 0) {
      // The lock is free: take it for the top waiter and wake it (Linux
      // marks the word FUTEX_WAITERS when it may requeue others).
      uint32_t fresh = static_cast<uint32_t>(top->tid) | (v & FUTEX_OWNER_DIED) | (nr_requeue > 0 ? FUTEX_WAITERS : 0);
      __atomic_store_n(uaddr2, fresh, __ATOMIC_SEQ_CST);
      dequeue(top);
      sched::wake(top);
      count = 1;
    } else {
      if (owner == static_cast<uint32_t>(top->tid)) return -EDEADLK;
      if (sched::find(static_cast<int>(owner)) == nullptr) return -ESRCH;
    }
  }
  // Then up to nr_requeue waiters move to uaddr2's queue (one more when the
  // lock was not free: Linux counts the woken one against nr_wake).
  long ret = 0;
  for (Thread* t = g_head; t != nullptr && count - nr_wake < nr_requeue;) {
    Thread* next = t->futex_next;
    if (t->futex_addr == uaddr) {
      if (t->futex_pi_target != uaddr2) {
        ret = -EINVAL;
        break;
      }
      t->futex_addr = uaddr2;
      ++count;
      __atomic_fetch_or(uaddr2, FUTEX_WAITERS, __ATOMIC_SEQ_CST);
    }
    t = next;
  }
  return ret < 0 ? ret : count;
}

long unlock_pi(uint32_t* addr) {
  if (!user_writable(addr, 4)) return -EFAULT;
  uint32_t tid = static_cast<uint32_t>(sched::current()->tid);
  uint32_t val = __atomic_load_n(addr, __ATOMIC_SEQ_CST);
  if ((val & FUTEX_TID_MASK) != tid) return -EPERM;
  if (Thread* next = first_waiter(addr); next != nullptr) {
    // Hand the lock over, as Linux does: the new owner's tid with WAITERS.
    __atomic_store_n(addr, static_cast<uint32_t>(next->tid) | FUTEX_WAITERS, __ATOMIC_SEQ_CST);
    dequeue(next);
    sched::wake(next);
    return 0;
  }
  __atomic_store_n(addr, 0u, __ATOMIC_SEQ_CST);
  return 0;
}

}  // namespace

uint64_t cpu_fs_base() { return cpu::rdfsbase(); }

void futex_reset_after_fork() { g_head = g_tail = nullptr; }
long futex_wait_on(uint32_t* addr, uint32_t val, uint64_t deadline) { return wait(addr, val, deadline, ~0u); }

int futex_wake(uint32_t* addr, int n, uint32_t bitset) {
  int woken = 0;
  Thread* t = g_head;
  while (t != nullptr && woken < n) {
    Thread* next = t->futex_next;
    // A FUTEX_WAIT_REQUEUE_PI waiter waits to own its PI futex: only
    // CMP_REQUEUE_PI wakes it (sys_futex's FUTEX_WAKE gives EINVAL).
    if (t->futex_addr == addr && (t->futex_bitset & bitset) != 0 && t->futex_pi_target == nullptr) {
      dequeue(t);
      sched::wake(t);
      ++woken;
    }
    t = next;
  }
  return woken;
}

}  // namespace libos

long sys_futex(uint32_t* uaddr, int op, uint32_t val, uint64_t timeout_or_val2, uint32_t* uaddr2,
               uint32_t val3) {
  using namespace libos;
  int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  bool realtime = (op & FUTEX_CLOCK_REALTIME) != 0;
  if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2 &&
      cmd != FUTEX_WAIT_REQUEUE_PI)
    return -ENOSYS;
  if (((reinterpret_cast<uint64_t>(uaddr)) & 3) != 0) return -EINVAL;
  if (!user_readable(uaddr, 4)) return -EFAULT;
  int n = static_cast<int>(val);
  auto* ts = reinterpret_cast<const uapi::Timespec*>(timeout_or_val2);
  uint64_t deadline;
  switch (cmd) {
    case FUTEX_WAIT: {
      long r = deadline_for(ts, false, false, &deadline);
      if (r < 0) return r;
      return wait(uaddr, val, deadline, ~0u);
    }
    case FUTEX_WAIT_BITSET: {
      long r = deadline_for(ts, true, realtime, &deadline);
      if (r < 0) return r;
      return wait(uaddr, val, deadline, val3);
    }
    case FUTEX_WAKE:
      if (has_requeue_pi_waiter(uaddr)) return -EINVAL;
      return futex_wake(uaddr, n < 0 ? 0x7fffffff : n, ~0u);
    case FUTEX_WAKE_BITSET:
      if (val3 == 0) return -EINVAL;
      return futex_wake(uaddr, n < 0 ? 0x7fffffff : n, val3);
    case FUTEX_REQUEUE:
      return requeue(uaddr, n, static_cast<int>(timeout_or_val2), uaddr2);
    case FUTEX_CMP_REQUEUE:
      if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val3) return -EAGAIN;
      return requeue(uaddr, n, static_cast<int>(timeout_or_val2), uaddr2);
    case FUTEX_WAKE_OP:
      return wake_op(uaddr, n, uaddr2, static_cast<int>(timeout_or_val2), val3);
    case FUTEX_LOCK_PI:  // absolute CLOCK_REALTIME timeout
    case FUTEX_LOCK_PI2: {  // absolute, CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME
      long r = deadline_for(ts, true, cmd == FUTEX_LOCK_PI || realtime, &deadline);
      if (r < 0) return r;
      return lock_pi(uaddr, deadline, false);
    }
    case FUTEX_TRYLOCK_PI:
      return lock_pi(uaddr, sched::kNoDeadline, true);
    case FUTEX_UNLOCK_PI:
      return unlock_pi(uaddr);
    case FUTEX_WAIT_REQUEUE_PI: {  // absolute, CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME
      long r = deadline_for(ts, true, realtime, &deadline);
      if (r < 0) return r;
      return wait_requeue_pi(uaddr, val, deadline, uaddr2);
    }
    case FUTEX_CMP_REQUEUE_PI:
      return cmp_requeue_pi(uaddr, n, static_cast<int>(timeout_or_val2), uaddr2, val3);
    default:
      return -ENOSYS;
  }
}

