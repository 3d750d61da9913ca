// /proc: only what static programs commonly ask for: /proc/self/exe (the
// program's path), /proc/self/fd/N (magic links to open files), /proc/self/cwd,
// /proc/mounts, /proc/self/stat, /proc/uptime and /proc/stat (fs/proc_stat.hpp).
#pragma once

#include "vfs/vnode.hpp"

namespace libos::fs {

Vnode* procfs_create(Vnode* parent, const char* exe_path);

}  // namespace libos::fs
