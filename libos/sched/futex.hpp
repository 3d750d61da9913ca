// Futexes: one global FIFO wait queue of blocked threads (a cooperative
// single-vCPU LibOS has few threads; a scan is cheap).
#pragma once

#include <stdint.h>

namespace libos {

// Wakes up to n threads waiting on addr whose bitset intersects bitset.
int futex_wake(uint32_t* addr, int n, uint32_t bitset);
// In a forked child: no thread waits (only the caller is left, and it runs).
void futex_reset_after_fork();
uint64_t cpu_fs_base();
// Blocks the current thread while *addr == val, until futex_wake on addr, a
// signal (-EINTR) or the monitonic deadline (-ETIMEDOUT; sched::kNoDeadline:
// none). -EAGAIN when *addr != val at the call. For the LibOS's own waits on
// words it shares with other processes (ipc/): addr is not checked.
long futex_wait_on(uint32_t* addr, uint32_t val, uint64_t deadline);

}  // namespace libos
