// Linux x86-64 numbers of <sys/prctl.h> and <asm/prctl.h> (arch_prctl) (one definition for the whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

enum : int { ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004 };
enum : int { PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_DUMPABLE = 4, PR_GET_DUMPABLE = 3,
             PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_SET_NO_NEW_PRIVS = 38,
             PR_GET_NO_NEW_PRIVS = 39, PR_SET_VMA = 0x53564d41 };
// PR_GET_DUMPABLE's answer for an ordinary process (linux/sched/coredump.h).
enum : int { SUID_DUMP_DISABLE = 0, SUID_DUMP_USER = 1 };

}  // namespace libos::uapi
