// BootInfo facts the system-call layer consults after start-up.
#pragma once

#include <shoal/abi/boot.h>

namespace libos {

// The BootInfo the monitor passed (read-only page at kBootInfoAddr).
const shoal::abi::BootInfo& boot_info();
// --verbose: name unimplemented system calls once.
bool verbose();

}  // namespace libos
