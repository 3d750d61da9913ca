// Pipes: a 64 KiB in-memory ring shared by a read end and a write end.
//
// Blocking ends wait on the cooperative scheduler (vfs/wait.hpp) as Linux
// does: a read of an empty pipe with a writer open waits for data, a write
// waits until all of it fits (or the readers are gone: -EPIPE; SIGPIPE is
// not delivered). In a single-threaded program such a wait can never end,
// and the scheduler reports the deadlock where Linux would hang.
#pragma once

#include "vfs/file.hpp"

namespace libos::fs {

// Creates both ends with status flags (O_NONBLOCK, O_DIRECT); -ENOMEM.
long pipe_create(int flags, File** read_end, File** write_end);

// At a fork (sched/process.hpp ForkHooks): every pipe of this process moves
// to a host pipe of the monitor, which the forked monitor inherits, so that
// parent and child reach the same bytes (docs/architecture.md, "Processes").
// A read or write of a moved pipe is a hypercall that waits in the monitor,
// blocking the whole instance. 0 or -errno.
long pipes_move_to_host();

}  // namespace libos::fs
