// Issuing hypercalls from the LibOS (ring 3, through the TSS I/O bitmap). See abi/hypercall.h.
#pragma once

#include <shoal/abi/hypercall.h>
#include <stdint.h>

namespace libos {

// The argument struct must live below 4 GiB (LibOS data or a kernel stack).
template <typename Args>
inline void hypercall(shoal::abi::Hypercall nr, Args* args) {
  uint16_t port = static_cast<uint16_t>(shoal::abi::kHypercallPortBase + static_cast<uint16_t>(nr));
  uint32_t addr = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(args));
  // The "memory" clobber: the monitor reads and writes *args during the exit.
  asm volatile("outl %0, %1" : : "a"(addr), "Nd"(port) : "memory");
}

}  // namespace libos
