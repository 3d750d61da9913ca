// The read-only root file system: the image's rootfs section, read in place
// (zero-copy). Every entry is bounds-checked once at start-up.
#pragma once

#include <stdint.h>

#include "fs/vnode.hpp"

namespace libos::fs {

// Validates the section at [addr, addr+size) (panics with a message if it is
// corrupt) and returns its root directory. addr 0 gives an empty "/".
Vnode* rootfs_init(uint64_t addr, uint64_t size);

}  // namespace libos::fs
