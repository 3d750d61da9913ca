// Ending the other threads at execve (sched/exec_threads.hpp).
#include "sched/exec_threads.hpp"

#include "core/panic.hpp"
#include "sched/signal_state.hpp"
#include "sched/syscalls.hpp"
#include "sched/thread.hpp"
#include "time/clock.hpp"

namespace libos::sched {

namespace {
// How long execve waits for the others: they leave at their next return
// from the LibOS, which takes at most a time slice for a running one.
constexpr uint64_t kWaitNs = 2'000'000'000;
}  // namespace

void end_other_threads() {
  Thread* me = current();
  for (Thread* t = me->next; t != me; t = t->next) {
    if (t->state == ThreadState::dead) continue;
    t->exec_doomed = true;
    // SIGKILL cannot be blocked: every interruptible wait sees it and
    // returns, and the dispatcher's exit path takes it (signal_attention).
    t->sigpending |= sig_bit(uapi::SIGKILL);
    interrupt(t);
  }
  uint64_t until = monotonic_ns() + kWaitNs;
  while (thread_count() > 1 && monotonic_ns() < until) {
    // Let them run: blocked with a short deadline so that the scheduler
    // runs the others (or waits for their deadlines) instead of spinning.
    block(monotonic_ns() + 100'000);
  }
  me->tid = 1;
}

[[noreturn]] void exit_doomed() {
  sys_exit(0);
  panic("exit of a doomed thread returned");
}

}  // namespace libos::sched
