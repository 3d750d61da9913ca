// BootInfo facts every layer may consult after start-up. The composition root
// (boot/boot.cpp) records the block first thing.
#pragma once

#include <shoal/abi/boot.h>

namespace libos {

// Called once by boot/boot.cpp before anything reads boot_info().
void set_boot_info(const shoal::abi::BootInfo* boot);
// The BootInfo the monitor passed (read-only page at kBootInfoAddr).
const shoal::abi::BootInfo& boot_info();
// --verbose: name unimplemented system calls once.
bool verbose();

}  // namespace libos
