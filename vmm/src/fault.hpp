// What a CPU exception in the guest means, in words and as an exit status
// (the status a Linux process killed by the corresponding signal would have).
#pragma once

#include <stdint.h>

#include <string>

namespace shoal::vmm {

namespace status {
inline constexpr int kSigill = 132, kSigtrap = 133, kSigabrt = 134, kSigbus = 135, kSigfpe = 136,
                     kSigsegv = 139, kTimeout = 124, kDeadlock = 134;
// A guest that hands the monitor a bad hypercall argument, writes to an
// unknown port or otherwise breaks the monitor contract: like SIGSEGV.
inline constexpr int kBadHypercall = 139;
// A monitor-side failure (KVM refused something, etc.).
inline constexpr int kMonitorError = 1;
}  // namespace status

struct FaultDescription {
  std::string what;   // "page fault (SIGSEGV): write to address 0x0, not mapped (null pointer dereference)"
  int status = status::kSigsegv;
};

struct FaultFacts {
  uint64_t vector = 0;
  uint64_t error = 0;
  uint64_t cr2 = 0;          // page faults: the address
  uint64_t memory_size = 0;  // stack_top; the guard lies below the main stack
  // The first bytes of the faulting instruction (if readable) and rdx, to
  // name the port of an `in`/`out` that the TSS bitmap refused.
  uint8_t insn[4] = {};
  bool has_insn = false;
  uint64_t rdx = 0;
};

// If insn is an `in`/`out`, its port (dx or imm8) and direction.
struct PortAccess {
  uint16_t port;
  bool is_out;
};
bool decode_port_access(const FaultFacts& f, PortAccess* out);

FaultDescription describe_fault(const FaultFacts& f);

}  // namespace shoal::vmm
