// Checks on pointers the program passes to system calls.
//
// The program and the LibOS share one address space and privilege level, so
// these checks are not a security boundary (the VM is); they exist so that a
// bad pointer gets EFAULT as on Linux instead of a LibOS crash.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos {

// True if [ptr, ptr+len) lies in mapped guest memory the program may read
// (not the null page or the monitor's area, no overflow, below memory_size).
bool user_readable(const void* ptr, size_t len);
// As user_readable, and not in a read-only section of the image.
bool user_writable(const void* ptr, size_t len);
// Length of the NUL-terminated string at ptr, at most max; -EFAULT if it is
// not readable, -ENAMETOOLONG if no NUL within max bytes.
long user_strnlen(const char* ptr, size_t max);

}  // namespace libos
