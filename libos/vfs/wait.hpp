// Waiting for file readiness (pipes, poll) on the cooperative scheduler.
//
// One queue serves the whole file layer: any change that can make a file
// readable or writable (data written, data read, an end closed) wakes every
// waiter, and each re-checks its own condition. Waiters are few and wakes
// cheap (no exits), so this beats per-file queues in simplicity.
#pragma once

#include <stdint.h>

namespace libos::fs {

inline constexpr uint64_t kNoDeadline = ~uint64_t{0};

// Blocks the calling thread until fs_notify() or the monotonic deadline (ns).
// Returns false on timeout. If no other thread can ever wake it and there is
// no deadline, the scheduler reports a deadlock (Linux would hang) -- unless
// the host can (a channel and a socket exist: net/service.hpp).
bool fs_wait(uint64_t deadline);
// As fs_wait for waits a signal interrupts (pipes, poll): -EINTR if a signal
// is deliverable before or after sleeping, else 1 (woken) or 0 (timed out).
// The dispatcher restarts the call for an SA_RESTART handler where Linux does.
long fs_wait_interruptible(uint64_t deadline);
void fs_notify();
// A deadline timeout_ns from now (saturating).
uint64_t fs_deadline_after(uint64_t timeout_ns);
uint64_t fs_monotonic_ns();
// Files whose readiness changes in another process (a family's host pipes,
// fs/pipe.hpp) send no fs_notify(): while any is open, a wait re-checks at
// least every kHostPollNs. delta: opened (+) or closed (-).
inline constexpr uint64_t kHostPollNs = 2'000'000;
void fs_host_files(int delta);
bool fs_host_files_open();

}  // namespace libos::fs
