// Linux x86-64 layouts and numbers of <fcntl.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Flock {
  int16_t type;
  int16_t whence;
  int64_t start;
  int64_t len;
  int32_t pid;
};
static_assert(sizeof(Flock) == 32);

// open(2) flags.
inline constexpr int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3;
inline constexpr int O_CREAT = 0100, O_EXCL = 0200, O_NOCTTY = 0400, O_TRUNC = 01000;
inline constexpr int O_APPEND = 02000, O_NONBLOCK = 04000, O_DSYNC = 010000, O_ASYNC = 020000;
inline constexpr int O_DIRECT = 040000, O_LARGEFILE = 0100000, O_DIRECTORY = 0200000;
inline constexpr int O_NOFOLLOW = 0400000, O_NOATIME = 01000000, O_CLOEXEC = 02000000;
inline constexpr int O_SYNC = 04010000, O_PATH = 010000000, O_TMPFILE = 020200000;

// *at(2) flags.
inline constexpr int AT_FDCWD = -100;
inline constexpr int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400;
inline constexpr int AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000;
inline constexpr int AT_STATX_SYNC_TYPE = 0x6000, AT_EACCESS = 0x200;

// fcntl(2).
inline constexpr int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4;
inline constexpr int F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_SETOWN = 8, F_GETOWN = 9;
inline constexpr int F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
inline constexpr int F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
inline constexpr int F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
inline constexpr int FD_CLOEXEC = 1;
inline constexpr int16_t F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

// renameat2(2) flags.
inline constexpr unsigned RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

}  // namespace libos::uapi
