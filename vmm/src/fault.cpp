#include "fault.hpp"

#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>

#include "descriptors.hpp"
#include "guest_memory.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

FaultDescription page_fault(const FaultFacts& f) {
  bool present = f.error & 1, write = f.error & 2, fetch = f.error & 16, reserved = f.error & 8;
  uint64_t guard_end = f.memory_size - kMainStackSize, guard_start = guard_end - kStackGuardSize;
  if (f.memory_size >= kMainStackSize + kStackGuardSize && f.cr2 >= guard_start && f.cr2 < guard_end) {
    return {"stack overflow: page fault in the stack guard at " + hex(f.cr2) + " (the main stack is " +
                describe_bytes(kMainStackSize) + ")",
            status::kSigsegv};
  }
  std::string what = "page fault (SIGSEGV): ";
  what += fetch ? "instruction fetch from" : write ? "write to" : "read from";
  what += " address " + hex(f.cr2) + ", ";
  if (reserved) {
    what += "reserved bit set in a page-table entry";
  } else if (f.cr2 >= f.memory_size) {
    what += "outside guest memory (" + describe_bytes(f.memory_size) + ")";
  } else if (!present) {
    what += "not mapped";
  } else if (f.cr2 >= kBootInfoAddr && f.cr2 < kArgsEnd && !fetch) {
    what += write ? "read-only memory (BootInfo and argument strings)" : "not accessible";
  } else if (f.cr2 < kLibosBase && f.cr2 >= kPageSize) {
    what += "monitor-owned memory";
  } else if (fetch) {
    what += "not executable";
  } else if (write) {
    what += "read-only memory";
  } else {
    what += "not accessible";
  }
  if (f.cr2 < 0x10000) what += " (null pointer dereference)";
  return {what, status::kSigsegv};
}

}  // namespace

bool decode_port_access(const FaultFacts& f, PortAccess* out) {
  if (!f.has_insn) return false;
  unsigned i = f.insn[0] == 0x66 ? 1 : 0;
  uint8_t op = f.insn[i];
  switch (op) {
    case 0xe4: case 0xe5: *out = {f.insn[i + 1], false}; return true;
    case 0xe6: case 0xe7: *out = {f.insn[i + 1], true}; return true;
    case 0xec: case 0xed: *out = {static_cast<uint16_t>(f.rdx), false}; return true;
    case 0xee: case 0xef: *out = {static_cast<uint16_t>(f.rdx), true}; return true;
    default: return false;
  }
}

FaultDescription describe_fault(const FaultFacts& f) {
  switch (f.vector) {
    case 0: return {"divide error (SIGFPE)", status::kSigfpe};
    case 1: return {"debug trap (SIGTRAP)", status::kSigtrap};
    case 2: return {"non-maskable interrupt", status::kSigsegv};
    case 3: return {"breakpoint (SIGTRAP): int3 executed", status::kSigtrap};
    case 4: return {"overflow trap (SIGSEGV): into", status::kSigsegv};
    case 5: return {"bound range exceeded (SIGSEGV)", status::kSigsegv};
    case 6: return {"invalid opcode (SIGILL)", status::kSigill};
    case 7: return {"device not available (SIGILL): FPU/SIMD disabled", status::kSigill};
    case 8: return {"double fault: an exception while delivering an exception (ring-0 stack broken?)",
                    status::kSigsegv};
    case 10: return {"invalid TSS (SIGSEGV)", status::kSigsegv};
    case 11: return {"segment not present (SIGSEGV), selector/error " + hex(f.error), status::kSigsegv};
    case 12: return {"stack segment fault (SIGSEGV): non-canonical stack address?", status::kSigsegv};
    case 13: {
      std::string what = "general protection fault (SIGSEGV)";
      PortAccess io;
      if (f.error == 0 && decode_port_access(f, &io)) {
        what += std::string(": `") + (io.is_out ? "out` to" : "in` from") + " I/O port " + hex(io.port);
        if (io.port == kFaultPort)
          what += ", the fault port reserved for the monitor's exception stubs";
        else
          what += ", which is not a hypercall port";
      } else if (f.error & 2) {
        what += ": `int " + hex(f.error >> 3) + "` from ring 3 (software interrupts are not supported)";
      } else if (f.error != 0) {
        what += ", error " + hex(f.error);
      } else {
        what += ": privileged instruction or non-canonical address";
      }
      return {what, status::kSigsegv};
    }
    case 14: return page_fault(f);
    case 16: return {"x87 floating-point error (SIGFPE)", status::kSigfpe};
    case 17: return {"alignment check (SIGBUS)", status::kSigbus};
    case 18: return {"machine check", status::kSigbus};
    case 19: return {"SIMD floating-point exception (SIGFPE)", status::kSigfpe};
    case 21: return {"control protection fault (SIGSEGV)", status::kSigsegv};
    case kSpuriousVector: return {"unexpected interrupt (no interrupt sources exist)", status::kSigsegv};
    default: return {"CPU exception " + std::to_string(f.vector), status::kSigsegv};
  }
}

}  // namespace shoal::vmm
