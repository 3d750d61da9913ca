// The memory system calls (mm/).
// Each takes the Linux x86-64 register values typed as Linux declares them,
// or the whole SyscallFrame when it needs the program's registers, and
// returns the result or -errno exactly as Linux would. The dispatcher's
// table (syscalls/table.hpp) names them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/syscall_frame.hpp"

using libos::SyscallFrame;

long sys_brk(uint64_t addr);
long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
long sys_mprotect(uint64_t addr, uint64_t len, int prot);
long sys_madvise(uint64_t addr, uint64_t len, int advice);
long sys_msync(uint64_t addr, uint64_t len, int flags);
long sys_mincore(uint64_t addr, uint64_t len, unsigned char* vec);
long sys_mlock(uint64_t addr, uint64_t len);
long sys_munlock(uint64_t addr, uint64_t len);
long sys_mlockall(int flags);
long sys_munlockall();
