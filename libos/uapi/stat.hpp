// Linux x86-64 layouts and numbers of <sys/stat.h> (stat, statx, file types) (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

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

// utimensat(2): a tv_nsec that means "now" or "leave as is".
inline constexpr int64_t UTIME_NOW = (1l << 30) - 1, UTIME_OMIT = (1l << 30) - 2;

// statx(2) mask bit reserved for a future struct statx extension.
inline constexpr unsigned STATX__RESERVED = 0x80000000u;

// What each entry adds to a tmpfs directory's st_size (the kernel's BOGO_DIRENT_SIZE,
// mm/shmem.c, not exported).
inline constexpr uint64_t BOGO_DIRENT_SIZE = 20;

// st_mode.
inline constexpr uint32_t S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000;
inline constexpr uint32_t S_IFREG = 0100000, S_IFBLK = 060000, S_IFDIR = 040000;
inline constexpr uint32_t S_IFCHR = 020000, S_IFIFO = 010000;
inline constexpr bool s_isdir(uint32_t m) { return (m & S_IFMT) == S_IFDIR; }
inline constexpr bool s_isreg(uint32_t m) { return (m & S_IFMT) == S_IFREG; }
inline constexpr bool s_islnk(uint32_t m) { return (m & S_IFMT) == S_IFLNK; }
inline constexpr bool s_isfifo(uint32_t m) { return (m & S_IFMT) == S_IFIFO; }
inline constexpr uint8_t dt_type(uint32_t m) { return static_cast<uint8_t>((m >> 12) & 15); }

// statx(2) mask.
inline constexpr uint32_t STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

}  // namespace libos::uapi
