// /dev: null, zero, full, random, urandom, tty (ENXIO), console, the stdio
// links into /proc/self/fd, and a tmpfs at /dev/shm.
#pragma once

#include "vfs/vnode.hpp"

namespace libos::fs {

// console: the node behind fds 0-2 (see console.hpp), listed as /dev/console.
Vnode* devfs_create(Vnode* parent, Vnode* console);

}  // namespace libos::fs
