// Where control can arrive in an ELF object other than by falling through or
// a direct branch (which the rewriter finds itself): the addresses no patched
// range may swallow. Over-approximation is safe (a site stays for the bounce),
// missing one is not, so every source is read conservatively.
#pragma once

#include <stdint.h>

#include <span>
#include <vector>

#include "rewrite/object_file.hpp"

namespace shoal::builder::objrw {

// Instruction bytes: the SHF_ALLOC|SHF_EXECINSTR PROGBITS sections that lie
// inside an executable segment, sorted, not overlapping.
struct CodeRange {
  uint64_t vaddr;
  uint64_t offset;
  uint64_t size;
};
std::vector<CodeRange> code_ranges(const ObjectFile& o);

// Symbols, relocations, dynamic tags, the entry point, rip-relative addresses
// into code and relative jump tables behind rip-relative addresses into data,
// and (ET_EXEC) absolute words/immediates into code. Sorted, unique.
std::vector<uint64_t> indirect_targets(const ObjectFile& o, std::span<const CodeRange> code);

// .eh_frame: every FDE's start and every landing pad of its LSDA. False if
// a record cannot be read (then landing pads are unknown: patch nothing).
bool eh_frame_targets(const ObjectFile& o, std::vector<uint64_t>& out);

}  // namespace shoal::builder::objrw
