#include "assemble/load_sections.hpp"

#include <string.h>

#include <algorithm>

#include <shoal/abi/layout.h>

namespace shoal::builder {

namespace {
uint64_t page_down(uint64_t v) { return v & ~(abi::kPageSize - 1); }
uint64_t page_up(uint64_t v) { return (v + abi::kPageSize - 1) & ~(abi::kPageSize - 1); }
}  // namespace

Result<std::vector<LoadSection>> load_sections(const ElfProgram& prog) {
  // prog.segments is sorted by vaddr and non-overlapping (parse_elf).
  std::vector<LoadSection> out;
  size_t i = 0;
  while (i < prog.segments.size()) {
    // A group: consecutive segments whose page ranges touch the same pages.
    size_t j = i + 1;
    uint64_t start = page_down(prog.segments[i].vaddr);
    uint64_t end = page_up(prog.segments[i].vaddr + prog.segments[i].memsz);
    while (j < prog.segments.size() && page_down(prog.segments[j].vaddr) < end) {
      end = std::max(end, page_up(prog.segments[j].vaddr + prog.segments[j].memsz));
      ++j;
    }
    LoadSection sec{start, 0, {}, end - start};
    uint64_t file_end = start;
    for (size_t k = i; k < j; ++k) {
      const auto& s = prog.segments[k];
      sec.flags |= s.flags;
      if (s.filesz) file_end = std::max(file_end, s.vaddr + s.filesz);
    }
    sec.bytes.assign(file_end - start, 0);
    for (size_t k = i; k < j; ++k) {
      const auto& s = prog.segments[k];
      // SAFETY: parse_elf checked offset + filesz against the file size.
      if (s.filesz) memcpy(sec.bytes.data() + (s.vaddr - start), prog.bytes.data() + s.offset, s.filesz);
    }
    out.push_back(std::move(sec));
    i = j;
  }
  return out;
}

}  // namespace shoal::builder
