// The read-only root file system: the image's rootfs section, read in place
// (zero-copy). Every entry is bounds-checked once at start-up. Writable
// directories (RootfsHeader.writable_count) are covered by seeded tmpfs copies.
#pragma once

#include <stdint.h>

#include "vfs/vnode.hpp"

namespace libos::fs {

// Validates the section at [addr, addr+size) (panics with a message if it is
// corrupt) and returns its root directory. addr 0 gives an empty "/".
Vnode* rootfs_init(uint64_t addr, uint64_t size);

// Mounts a tmpfs over each directory the image declares writable, seeded
// with a copy of the image's files there (after rootfs_init).
void rootfs_mount_writable();

// The size of the image's root file system section and its entry count
// (statfs of "/": a read-only file system that is exactly full).
uint64_t rootfs_bytes();
uint64_t rootfs_inodes();

}  // namespace libos::fs
