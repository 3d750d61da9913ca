// wait4/waitid's constants (Linux's <linux/wait.h>, x86-64).
#pragma once

namespace libos::uapi {

inline constexpr int WNOHANG = 1, WUNTRACED = 2, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8,
                     WNOWAIT = 0x01000000;
inline constexpr int __WNOTHREAD = 0x20000000, __WALL = 0x40000000;
inline constexpr unsigned __WCLONE = 0x80000000u;
inline constexpr int P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
inline constexpr int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

}  // namespace libos::uapi
