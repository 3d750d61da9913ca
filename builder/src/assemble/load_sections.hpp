// Turns an ELF's PT_LOAD segments into page-aligned image sections.
#pragma once

#include <stdint.h>

#include <vector>

#include <shoal/base/result.hpp>
#include <shoal/builder/elf_program.hpp>

namespace shoal::builder {

struct LoadSection {
  uint64_t addr;                // page-aligned guest address
  uint32_t flags;               // abi::SectionFlags
  std::vector<uint8_t> bytes;   // file-backed part (page-padded by the writer)
  uint64_t mem_size;            // page multiple
};

// Segments that share a page are merged into one section (flags combined):
// the monitor maps whole pages. Bytes of a segment past p_filesz are zero,
// including the bss tail of its last file page.
Result<std::vector<LoadSection>> load_sections(const ElfProgram& prog);

}  // namespace shoal::builder
