// /tmp: a writable in-memory file system. Nodes and file data live in the
// LibOS heap; a node lives while it is linked or open (or the cwd).
#pragma once

#include "vfs/vnode.hpp"

namespace libos::fs {

// The root directory of a new, empty tmpfs (mode 1777, as /tmp on Linux),
// mounted as `name` in the directory `parent`; nullptr when out of memory.
Vnode* tmpfs_create(Vnode* parent, const char* name);

// The same with the given directory mode and a fresh inode number: a writable
// directory of the image, mounted over the read-only one.
Vnode* tmpfs_create_at(Vnode* parent, const char* name, uint32_t mode);

// What every tmpfs together holds (statfs): nodes alive and bytes stored.
struct TmpfsUsage {
  uint64_t nodes;
  uint64_t bytes;
};
TmpfsUsage tmpfs_usage();

}  // namespace libos::fs
