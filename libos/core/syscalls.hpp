// The core's system calls: getrandom (core/random.cpp).
// Each takes the Linux x86-64 register values typed as Linux declares them,
// or the whole SyscallFrame when it needs the program's registers, and
// returns the result or -errno exactly as Linux would. The dispatcher's
// table (syscalls/table.hpp) names them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/syscall_frame.hpp"

using libos::SyscallFrame;

long sys_getrandom(void* buf, size_t len, unsigned flags);
