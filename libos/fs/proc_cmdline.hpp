// /proc/self/cmdline: the program's arguments, each NUL-terminated, as the
// boot passed them or as the last execve gave them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vfs/vnode.hpp"

namespace libos::fs {

// Copies count strings (with their lengths, without NULs). Keeps the old
// text when out of memory.
void proc_cmdline_set(const char* const* strings, const size_t* lengths, uint32_t count);

// The node (nullptr when out of memory).
Vnode* proc_cmdline_create(uint64_t ino);

}  // namespace libos::fs
