// Linux x86-64 layouts and numbers of <sys/utsname.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Utsname {
  char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

}  // namespace libos::uapi
