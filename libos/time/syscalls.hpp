// The clock system calls (time/).
// Each takes the Linux x86-64 register values typed as Linux declares them,
// or the whole SyscallFrame when it needs the program's registers, and
// returns the result or -errno exactly as Linux would. The dispatcher's
// table (syscalls/table.hpp) names them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/syscall_frame.hpp"
#include "uapi/time.hpp"
#include "uapi/times.hpp"

using libos::SyscallFrame;
namespace uapi = libos::uapi;

long sys_clock_gettime(int clock, uapi::Timespec* ts);
long sys_clock_getres(int clock, uapi::Timespec* ts);
long sys_gettimeofday(uapi::Timeval* tv, uapi::Timezone* tz);
long sys_time(int64_t* t);
long sys_times(uapi::Tms* buf);
