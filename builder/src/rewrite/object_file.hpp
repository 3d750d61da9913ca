// A validated read-only view of an ELF object for the object rewriter: every
// table the rewriter reads (program headers, section headers, dynamic
// section) has been bounds-checked once here, and reads by virtual address go
// through checked helpers, because the file is untrusted.
#pragma once

#include <elf.h>
#include <stdint.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::builder::objrw {

struct Section {
  Elf64_Shdr hdr;
  std::string name;  // "" when the name table is unusable
};

struct ObjectFile {
  std::span<const uint8_t> bytes;
  Elf64_Ehdr eh;
  std::vector<Elf64_Phdr> phdrs;   // all, in file order
  std::vector<Elf64_Phdr> loads;   // PT_LOAD with p_memsz > 0, sorted by vaddr
  std::vector<Section> sections;   // empty when the file has none
  std::vector<Elf64_Dyn> dynamic;  // up to DT_NULL; empty when none

  // File offset of [vaddr, vaddr + n) when it lies in one segment's file
  // bytes, else nullopt.
  std::optional<uint64_t> offset_of(uint64_t vaddr, uint64_t n) const;
  // Bytes at vaddr (file-backed), or an empty span.
  std::span<const uint8_t> at(uint64_t vaddr, uint64_t n) const;
  std::optional<uint64_t> u64_at(uint64_t vaddr) const;
  std::optional<int32_t> i32_at(uint64_t vaddr) const;
  // In an executable segment's memory range?
  bool in_exec(uint64_t vaddr) const;
  // d_val of the first entry with that tag.
  std::optional<uint64_t> dyn(int64_t tag) const;
  const Section* section(std::string_view name) const;
};

// Validates the ELF header, program headers (PT_LOADs inside the file, sorted,
// not overlapping, page-congruent), the section header table and its name
// table, and PT_DYNAMIC. One-line errors.
Result<ObjectFile> parse_object(std::span<const uint8_t> bytes);

}  // namespace shoal::builder::objrw
