// Linux x86-64 layouts and numbers of <sys/statfs.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

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

// f_flags (ST_VALID: the kernel's "f_flags is filled in", linux/statfs.h).
inline constexpr int64_t ST_RDONLY = 0x1, ST_VALID = 0x20;

}  // namespace libos::uapi
