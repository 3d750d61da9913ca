// Linux x86-64 layouts and numbers of <dirent.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

// struct linux_dirent64 without its flexible name.
struct Dirent64 {
  uint64_t ino;
  int64_t off;
  uint16_t reclen;
  uint8_t type;
  char name[1];
};
inline constexpr size_t kDirent64NameOffset = 19;

}  // namespace libos::uapi
