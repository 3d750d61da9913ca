// The argument and environment strings of an execve, copied out of the old
// program's memory before it goes (exec/execve.cpp). Bounded as Linux
// bounds them: each string at most MAX_ARG_STRLEN, all of them (with their
// pointers and the auxiliary vector) a quarter of the stack: E2BIG beyond.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::exec {

inline constexpr uint64_t kMaxArgStrlen = 32 * 4096;  // MAX_ARG_STRLEN
inline constexpr uint64_t kMaxArgBytes = 2ull << 20;  // _STK_LIM / 4, as Linux's ARG_MAX

class ArgList {
 public:
  ArgList() = default;
  ArgList(const ArgList&) = delete;
  ArgList& operator=(const ArgList&) = delete;
  ~ArgList();

  // Appends the strings of the program's NULL-terminated vector vec (NULL:
  // none). 0, -EFAULT or -E2BIG (or -ENOMEM).
  long copy_from_user(char* const* vec);
  // Appends (or, at_front, inserts first) a copy of s[0, len). 0 or -ENOMEM/-E2BIG.
  long push(const char* s, size_t len, bool at_front = false);
  // Drops the first string (a #! script's argv[0], which the script's path replaces).
  void drop_front();

  uint32_t count() const { return m_count; }
  const char* const* strings() const { return m_strings; }
  const size_t* lengths() const { return m_lengths; }
  uint64_t bytes() const { return m_bytes; }  // with the NULs

 private:
  long reserve_one();
  char** m_strings = nullptr;
  size_t* m_lengths = nullptr;
  uint32_t m_count = 0, m_cap = 0;
  uint64_t m_bytes = 0;
};

}  // namespace libos::exec
