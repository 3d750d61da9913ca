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

}  // namespace libos
