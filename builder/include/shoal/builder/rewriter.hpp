// The system-call rewriter (docs/architecture.md, "System calls are function calls"; abi/syscall.h).
//
// Each `syscall` instruction of the program, together with whole neighbouring
// instructions so the range is at least 5 bytes, becomes `jmp rel32` (+ int3
// filler) to a stub in the trampolines section:
//     <displaced instructions that preceded syscall>
//     lea -128(%rsp), %rsp          ; keep the caller's red zone intact
//     call shoal_syscall_entry      ; returns with `ret $128`
//       (or `call *slot(%rip)` when the entry is out of rel32 reach, as
//        for a shared object loaded far from the LibOS: object_rewriter.hpp)
//     <displaced instructions that followed syscall>
//     jmp <first byte after the displaced range>
// A range never has a branch target strictly inside it, never displaces a
// branch, and re-encodes rip-relative operands for their new address. Sites
// that cannot be patched are left alone: the ring-0 bounce handles them.
#pragma once

#include <stdint.h>

#include <span>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::builder {

// Instruction bytes at guest address `addr`, patched in place.
struct CodeRegion {
  uint64_t addr;
  std::span<uint8_t> bytes;
};

struct RewriteOptions {
  uint64_t trampoline_base = 0;  // guest address of the trampolines section
  uint64_t syscall_entry = 0;    // guest address of shoal_syscall_entry
  // When nonzero: the address of an 8-byte word holding syscall_entry, which
  // stubs call through (`call *slot(%rip)`) instead of `call rel32`; the slot
  // must stay within rel32 reach of the stubs wherever the code is loaded.
  uint64_t syscall_entry_slot = 0;
  // Find and count the sites, patch none (all go to fallback_sites): for code
  // whose indirect targets are unknown.
  bool count_only = false;
  // Addresses that may be reached by indirect jumps or calls (function
  // symbols, the entry point): treated like direct branch targets.
  std::vector<uint64_t> extra_targets;
};

struct RewriteStub {
  uint64_t site;  // address of the patched range (the jmp)
  uint64_t stub;  // address of its stub in the trampolines section
  uint32_t size;  // stub bytes, including int3 padding
};

struct RewriteResult {
  uint32_t sites = 0;      // syscall instructions found
  uint32_t rewritten = 0;  // of which now jump to a stub
  std::vector<uint8_t> trampolines;     // stubs, to load at trampoline_base
  std::vector<uint64_t> fallback_sites; // addresses of sites left alone
  std::vector<RewriteStub> stubs;       // one per rewritten site
};

// Fails only if the disassembler cannot be set up (then nothing is patched);
// a site that cannot be patched is no error (it stays in fallback_sites).
Result<RewriteResult> rewrite_syscalls(std::span<const CodeRegion> regions, const RewriteOptions& options);

}  // namespace shoal::builder
