// /dev/shm over the family region (ipc/shm_files.hpp): POSIX shared memory
// (shm_open, glibc's sem_open) whose names and contents every process of the
// family shares, and whose MAP_SHARED mappings are the region's pages
// themselves, so two mappings of one file (in one process or two) see each
// other's writes. Without a region (shoal-vmm --shm-size 0) /dev/shm is a
// tmpfs as /tmp is.
#pragma once

#include "vfs/vnode.hpp"

namespace libos::fs {

// The /dev/shm directory (parent: /dev), or nullptr without a region.
Vnode* shmfs_create(Vnode* parent);

}  // namespace libos::fs
