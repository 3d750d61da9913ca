// Robust futexes (set_robust_list/get_robust_list) and what a thread leaves
// behind when it exits: the robust mutexes it still holds are marked
// FUTEX_OWNER_DIED so the next locker gets EOWNERDEAD (glibc and musl rely on
// the kernel for this), and the munmap of its own stack that musl's detached
// threads issue just before exit is carried out once the thread is gone.
#include "sched/robust.hpp"

#include "core/errno.hpp"
#include "core/uaccess.hpp"
#include "mm/syscalls.hpp"
#include "sched/futex.hpp"
#include "sched/syscalls.hpp"
#include "sched/thread.hpp"
#include "uapi/futex.hpp"

using namespace libos;
using namespace libos::uapi;  // Linux's names, as the man pages spell them

namespace {

// Linux's handle_futex_death: the word of a robust mutex the dying thread
// owns gets OWNER_DIED (waiters bit kept) and one waiter is woken. A PI
// waiter here is an ordinary futex waiter that retries the lock, so it is
// woken the same way.
void futex_death(uint64_t word_addr, int tid, bool pending_op, bool pi) {
  auto* word = reinterpret_cast<uint32_t*>(word_addr);
  if ((word_addr & 3) != 0 || !user_writable(word, sizeof(*word))) return;
  uint32_t val = __atomic_load_n(word, __ATOMIC_SEQ_CST);
  // A lock op in progress that never got the lock: a waiter may have been
  // woken for it and missed the wake-up (Linux does the same).
  if (pending_op && !pi && val == 0) {
    futex_wake(word, 1, ~0u);
    return;
  }
  if ((val & FUTEX_TID_MASK) != static_cast<uint32_t>(tid)) return;
  uint32_t fresh = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
  if (!__atomic_compare_exchange_n(word, &val, fresh, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
  if ((fresh & FUTEX_WAITERS) != 0) futex_wake(word, 1, ~0u);
}

// Reads one list pointer; its low bit marks a PI futex.
bool fetch_entry(uint64_t at, uint64_t* entry, bool* pi) {
  if (!user_readable(reinterpret_cast<void*>(at), sizeof(uint64_t))) return false;
  uint64_t raw = *reinterpret_cast<const uint64_t*>(at);
  *entry = raw & ~uint64_t{1};
  *pi = (raw & 1) != 0;
  return true;
}

}  // namespace

namespace libos::sched {

void exit_robust_list(Thread* t) {
  uint64_t head = t->robust_head;
  t->robust_head = 0;
  if (head == 0 || !user_readable(reinterpret_cast<void*>(head), sizeof(RobustListHead))) return;
  const auto* h = reinterpret_cast<const RobustListHead*>(head);
  int64_t offset = h->futex_offset;
  uint64_t entry, pending;
  bool pi, pending_pi;
  if (!fetch_entry(head, &entry, &pi)) return;
  if (!fetch_entry(head + offsetof(RobustListHead, list_op_pending), &pending, &pending_pi)) return;
  int limit = kRobustListLimit;
  while (entry != head && entry != 0) {
    uint64_t next;
    bool next_pi;
    if (!fetch_entry(entry, &next, &next_pi)) break;
    if (entry != pending) futex_death(entry + offset, t->tid, false, pi);
    entry = next;
    pi = next_pi;
    if (--limit == 0) break;
  }
  if (pending != 0) futex_death(pending + offset, t->tid, true, pending_pi);
}

void exit_deferred_unmap(Thread* t) {
  if (t->exit_unmap_len == 0) return;
  sys_munmap(t->exit_unmap_addr, t->exit_unmap_len);
  t->exit_unmap_addr = t->exit_unmap_len = 0;
}

}  // namespace libos::sched

long sys_set_robust_list(void* head, size_t len) {
  if (len != sizeof(RobustListHead)) return -EINVAL;
  sched::current()->robust_head = reinterpret_cast<uint64_t>(head);
  return 0;
}

long sys_get_robust_list(int tid, void** head, size_t* len) {
  sched::Thread* t = tid == 0 ? sched::current() : sched::find(tid);
  if (t == nullptr) return -ESRCH;
  if (!user_writable(head, sizeof(*head)) || !user_writable(len, sizeof(*len))) return -EFAULT;
  *head = reinterpret_cast<void*>(t->robust_head);
  *len = sizeof(RobustListHead);
  return 0;
}

// munmap, seen from the thread that calls it: a range holding the caller's
// own stack pointer is unmapped when the thread exits instead (the rewritten
// system call returns through that stack, and so does the exit that follows;
// Linux's exit path never touches it). Everything else goes straight on.
long sys_munmap_thread(uint64_t addr, uint64_t len) {
  sched::Thread* t = sched::current();
  auto* frame = static_cast<SyscallFrame*>(t->cur_frame);
  if (frame != nullptr && len != 0 && (addr & 4095) == 0 && addr + len > addr) {
    uint64_t sp = frame->user_rsp;
    if (sp >= addr && sp < addr + len) {
      // One pending range per thread: an earlier one goes now.
      sched::exit_deferred_unmap(t);
      t->exit_unmap_addr = addr;
      t->exit_unmap_len = len;
      return 0;
    }
  }
  return sys_munmap(addr, len);
}
