// /proc: only what static programs commonly ask for: /proc/self/exe (the
// program's path), /proc/self/fd/N (magic links to open files), /proc/self/cwd,
// /proc/mounts, /proc/self/stat, /proc/uptime and /proc/stat (fs/proc_stat.hpp).
#pragma once

#include "vfs/vnode.hpp"

namespace libos::fs {

Vnode* procfs_create(Vnode* parent, const char* exe_path);
// After execve: /proc/self/exe names exe_path (the file that runs, its
// interpreter for a #! script), comm (in /proc/self/stat) is the last
// component of filename (the path execve was given), as Linux sets them.
// Both strings are copied.
void procfs_exec(const char* exe_path, const char* filename);

}  // namespace libos::fs
