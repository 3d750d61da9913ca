// The system calls of the syscalls/ layer itself: identity, limits, process
// (each lower layer declares its own in its syscalls.hpp; syscalls/table.hpp
// names them all). Each takes the Linux x86-64 register values typed as Linux
// declares them, or the whole SyscallFrame when it needs the program's
// registers, and returns the result or -errno exactly as Linux would.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/syscall_frame.hpp"
#include "uapi/resource.hpp"
#include "uapi/sysinfo.hpp"
#include "uapi/utsname.hpp"

using libos::SyscallFrame;
namespace uapi = libos::uapi;

// syscalls/ identity and limits
long sys_uname(uapi::Utsname* buf);
long sys_getuid();
long sys_geteuid();
long sys_getgid();
long sys_getegid();
long sys_setuid(unsigned uid);
long sys_setgid(unsigned gid);
long sys_getresuid(unsigned* r, unsigned* e, unsigned* s);
long sys_getresgid(unsigned* r, unsigned* e, unsigned* s);
long sys_getgroups(int size, unsigned* list);
long sys_getpgrp();
long sys_getpgid(int pid);
long sys_setpgid(int pid, int pgid);
long sys_getsid(int pid);
long sys_setsid();
long sys_prlimit64(int pid, int resource, const uapi::Rlimit* new_limit, uapi::Rlimit* old_limit);
long sys_getrlimit(int resource, uapi::Rlimit* limit);
long sys_setrlimit(int resource, const uapi::Rlimit* limit);
long sys_sysinfo(uapi::Sysinfo* info);
long sys_getrusage(int who, uapi::Rusage* usage);
long sys_getpriority(int which, int who);
long sys_setpriority(int which, int who, int nice);
long sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
long sys_arch_prctl(int code, uint64_t addr);

// wrappers over the file family
long sys_faccessat2(int dirfd, const char* path, int mode, int flags);
