// Time stamps and entropy the file layer needs from the core (L1). Weak
// references, so this component links and works (with time 0 and a fixed
// pattern) even before those functions exist.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::fs {

// CLOCK_REALTIME in nanoseconds, or 0 while the clock is not available.
int64_t now_ns();
// Fills buf with random bytes.
void fill_random(void* buf, size_t len);

}  // namespace libos::fs
