// The instance's console: fds 0, 1 and 2 at start-up and /dev/console.
// Reads come from the monitor's stdin (console_read), writes go to its
// stdout or stderr (console_write). Each is one VM exit (~30-60 us here), so
// writev gathers its pieces into one buffer and one exit.
#pragma once

#include "vfs/vnode.hpp"

namespace libos::fs {

// stream 0, 1 or 2: which descriptor of the monitor a write goes to (2 for
// stderr, 1 otherwise). nullptr when out of memory.
Vnode* console_create(int stream);

}  // namespace libos::fs
