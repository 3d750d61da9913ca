// What the exit of a thread settles (sched/robust.cpp): its robust futex list
// and a munmap of its own stack that was deferred until it is gone.
#pragma once

#include <stdint.h>

#include "sched/thread.hpp"

namespace libos::sched {

// Marks every robust futex t still owns FUTEX_OWNER_DIED and wakes a waiter
// of each (Linux's exit_robust_list). Clears the registration.
void exit_robust_list(Thread* t);
// Carries out the munmap sys_munmap_thread deferred for t, if any.
void exit_deferred_unmap(Thread* t);

}  // namespace libos::sched

// munmap as the dispatcher calls it (defers the unmap of the caller's stack).
long sys_munmap_thread(uint64_t addr, uint64_t len);
