// Names of Linux x86-64 system calls, for diagnostics.
#pragma once

#include <stdint.h>

namespace libos {

// nullptr for an unassigned number.
const char* syscall_name(uint64_t nr);

}  // namespace libos
