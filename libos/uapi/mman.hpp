// Linux x86-64 numbers of <sys/mman.h> (one definition for the whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

enum : int {
  MAP_SHARED = 0x1, MAP_PRIVATE = 0x2, MAP_SHARED_VALIDATE = 0x3, MAP_TYPE = 0xf,
  MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000,
};
enum : int { MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4 };
enum : int { MADV_DONTNEED = 4, MADV_FREE = 8, MADV_REMOVE = 9 };
enum : int {
  PROT_NONE = 0, PROT_READ = 0x1, PROT_WRITE = 0x2, PROT_EXEC = 0x4,
  PROT_GROWSDOWN = 0x01000000, PROT_GROWSUP = 0x02000000,
};
// msync(2) and mlockall(2) flags.
enum : int { MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4 };
enum : int { MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4 };

}  // namespace libos::uapi
