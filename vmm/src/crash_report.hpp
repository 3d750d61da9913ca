// One-screen crash reports on stderr: what happened, where, the registers and
// a symbolized backtrace (docs/architecture.md, "Crash reports").
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include <shoal/abi/hypercall.h>

#include "backtrace.hpp"
#include "guest_memory.hpp"
#include <shoal/image/symbols.hpp>

namespace shoal::vmm {

struct CrashReport {
  std::string program;                 // image name
  std::string what;                    // first line: what happened
  int status = 0;
  std::optional<abi::GuestRegs> regs;  // the program's registers, if known
  std::optional<uint64_t> address;     // the faulting address, if any
  std::vector<std::string> notes;      // extra lines (e.g. "in ring 0")
};

// Where code lives (executable sections) and how to name it.
struct Symbolizer {
  std::vector<CodeRange> code;
  const image::SymbolTable* symbols = nullptr;
  uint64_t stack_end = 0;              // top of the stack scan (memory_size)
};

// Renders the report; reads the guest stack through mem for the backtrace.
std::string format_crash_report(const CrashReport& report, const GuestMemory& mem, const Symbolizer& sym);

// "main+26", or "" if no symbol covers addr.
std::string symbolize(const Symbolizer& sym, uint64_t addr);

// Printable form of a guest-supplied message (control bytes escaped).
std::string sanitize_message(const std::string& raw);

}  // namespace shoal::vmm
