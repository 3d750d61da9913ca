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

}  // namespace libos::uapi
