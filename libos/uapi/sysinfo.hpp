// Linux x86-64 layouts and numbers of <sys/sysinfo.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Sysinfo {
  int64_t uptime;
  uint64_t loads[3];
  uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
  uint16_t procs, pad;
  uint64_t totalhigh, freehigh;
  uint32_t mem_unit;
  char _f[20 - 2 * sizeof(long) - sizeof(int)];
};
static_assert(sizeof(Sysinfo) == 112);

}  // namespace libos::uapi
