// The family region (abi/layout.h kFamilyAddr): memory every process of an
// instance family shares. Here only its place and its one-time attach; what
// lives in it (System V IPC, POSIX shared memory) is libos/ipc's.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::family {

// The region's address, or nullptr when the monitor offers none or the
// `family` hypercall failed. The first call attaches (one exit, and one
// KVM memory slot the first time in the family); later calls are a load.
uint8_t* attach();
// Its size in bytes (BootInfo::family_size); 0: none.
uint64_t size();
// True if [p, p+len) lies inside the region and the region is attached:
// memory the program may read and write (user pointers, console output).
bool contains(uint64_t p, uint64_t len);

}  // namespace libos::family
