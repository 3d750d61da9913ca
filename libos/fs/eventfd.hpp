// eventfd: a 64-bit counter behind a descriptor (eventfd(2)). Writes add,
// reads take the whole count (or one, with EFD_SEMAPHORE) and block while
// it is zero unless the descriptor is non-blocking. Readiness wakes the file
// layer's waiters (vfs/wait.hpp), so poll sees it like a pipe.
#pragma once

#include <stdint.h>

#include "vfs/file.hpp"

namespace libos::fs {

// A new eventfd file (one reference) with the given count and EFD_* flags.
long eventfd_create(uint64_t initval, int flags, File** out);

}  // namespace libos::fs
