// Linux x86-64 structure layouts and constants used by the file system calls.
// Sizes are checked against the kernel's uapi headers with static_assert.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::lx {

struct Iovec {
  void* base;
  size_t len;
};
static_assert(sizeof(Iovec) == 16);

struct Timespec {
  int64_t sec;
  int64_t nsec;
};
static_assert(sizeof(Timespec) == 16);

struct Timeval {
  int64_t sec;
  int64_t usec;
};
static_assert(sizeof(Timeval) == 16);

struct Stat {
  uint64_t dev;
  uint64_t ino;
  uint64_t nlink;
  uint32_t mode;
  uint32_t uid;
  uint32_t gid;
  int32_t pad0;
  uint64_t rdev;
  int64_t size;
  int64_t blksize;
  int64_t blocks;
  int64_t atime_sec;
  uint64_t atime_nsec;
  int64_t mtime_sec;
  uint64_t mtime_nsec;
  int64_t ctime_sec;
  uint64_t ctime_nsec;
  int64_t unused[3];
};
static_assert(sizeof(Stat) == 144);

struct StatxTimestamp {
  int64_t sec;
  uint32_t nsec;
  int32_t reserved;
};

struct Statx {
  uint32_t mask;
  uint32_t blksize;
  uint64_t attributes;
  uint32_t nlink;
  uint32_t uid;
  uint32_t gid;
  uint16_t mode;
  uint16_t spare0;
  uint64_t ino;
  uint64_t size;
  uint64_t blocks;
  uint64_t attributes_mask;
  StatxTimestamp atime, btime, ctime, mtime;
  uint32_t rdev_major, rdev_minor;
  uint32_t dev_major, dev_minor;
  uint64_t mnt_id;
  uint32_t dio_mem_align, dio_offset_align;
  uint64_t spare[12];
};
static_assert(sizeof(Statx) == 256);

struct Statfs {
  int64_t type;
  int64_t bsize;
  uint64_t blocks;
  uint64_t bfree;
  uint64_t bavail;
  uint64_t files;
  uint64_t ffree;
  int32_t fsid[2];
  int64_t namelen;
  int64_t frsize;
  int64_t flags;
  int64_t spare[4];
};
static_assert(sizeof(Statfs) == 120);

struct Pollfd {
  int32_t fd;
  int16_t events;
  int16_t revents;
};
static_assert(sizeof(Pollfd) == 8);

// struct linux_dirent64 without its flexible name.
struct Dirent64 {
  uint64_t ino;
  int64_t off;
  uint16_t reclen;
  uint8_t type;
  char name[1];
};
inline constexpr size_t kDirent64NameOffset = 19;

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

// st_mode.
inline constexpr uint32_t S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000;
inline constexpr uint32_t S_IFREG = 0100000, S_IFBLK = 060000, S_IFDIR = 040000;
inline constexpr uint32_t S_IFCHR = 020000, S_IFIFO = 010000;
inline constexpr bool s_isdir(uint32_t m) { return (m & S_IFMT) == S_IFDIR; }
inline constexpr bool s_isreg(uint32_t m) { return (m & S_IFMT) == S_IFREG; }
inline constexpr bool s_islnk(uint32_t m) { return (m & S_IFMT) == S_IFLNK; }
inline constexpr bool s_isfifo(uint32_t m) { return (m & S_IFMT) == S_IFIFO; }
inline constexpr uint8_t dt_type(uint32_t m) { return static_cast<uint8_t>((m >> 12) & 15); }

// lseek whence.
inline constexpr int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;

// access(2) modes.
inline constexpr int F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;

// fcntl(2).
inline constexpr int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4;
inline constexpr int F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_SETOWN = 8, F_GETOWN = 9;
inline constexpr int F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
inline constexpr int F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
inline constexpr int F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
inline constexpr int FD_CLOEXEC = 1;
inline constexpr int16_t F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

// ioctl(2).
inline constexpr unsigned long TCGETS = 0x5401, TCSETS = 0x5402, TIOCGWINSZ = 0x5413;
inline constexpr unsigned long TIOCGPGRP = 0x540f, FIONREAD = 0x541b, FIONBIO = 0x5421;
inline constexpr unsigned long FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;

// poll(2).
inline constexpr int16_t POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8;
inline constexpr int16_t POLLHUP = 0x10, POLLNVAL = 0x20, POLLRDNORM = 0x40, POLLWRNORM = 0x100;
inline constexpr int16_t POLLRDBAND = 0x80, POLLWRBAND = 0x200;

// statx(2) mask.
inline constexpr uint32_t STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

// Limits.
inline constexpr size_t kPathMax = 4096;
inline constexpr size_t kNameMax = 255;
inline constexpr int kMaxSymlinks = 40;
inline constexpr int kIovMax = 1024;

}  // namespace libos::lx
