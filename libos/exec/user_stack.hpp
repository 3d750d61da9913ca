// The initial stack a Linux program starts on (argc, argv, envp, auxv and
// the strings above them), built the same way at boot (boot/boot.cpp) and at
// execve (exec/execve.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::exec {

struct StackImage {
  // argc argument strings, then envc environment strings; each with its
  // length (without the NUL, which must follow it).
  const char* const* strings = nullptr;
  const size_t* lengths = nullptr;
  uint32_t argc = 0, envc = 0;
  const char* execfn = "";  // AT_EXECFN: the path execve was given
  size_t execfn_len = 0;
  uint64_t phdr = 0, phent = 0, phnum = 0;  // the program's headers in memory
  uint64_t entry = 0;                       // AT_ENTRY: the program's own entry
  uint64_t interp_base = 0;                 // AT_BASE: 0 for a static program
  const uint8_t* random = nullptr;          // 16 bytes for AT_RANDOM
  uint64_t hwcap = 0, hwcap2 = 0;
};

// Writes the image below stack_top exactly as Linux lays it out (strings
// highest, AT_EXECFN's first) and returns the entry rsp (16-byte aligned).
// The caller has checked that it fits in the stack.
uint64_t build_user_stack(uint64_t stack_top, const StackImage& img);

// The bytes build_user_stack uses at most for these strings (total string
// bytes with their NULs, count of strings): execve's E2BIG check.
uint64_t user_stack_bytes(uint64_t string_bytes, uint64_t count);

}  // namespace libos::exec
