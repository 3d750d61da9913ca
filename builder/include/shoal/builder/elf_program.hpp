// A validated static x86-64 ELF program, as the image builder sees it.
//
// parse_elf() is a trust boundary: the file can be anything a user hands to
// `shoal build`. It accepts ELFCLASS64 little-endian x86-64 ET_EXEC files,
// static PIEs (ET_DYN with PT_DYNAMIC, no PT_INTERP, DF_1_PIE or no
// DT_NEEDED) and dynamically linked programs (PT_INTERP, recorded in
// `interp`: a PIE is placed at kStaticPieBase as a static PIE is), and
// refuses everything else with one clear line.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::builder {

// What the ELF is for: the program (segments at or above kAppMinAddr, a static
// PIE is moved to kStaticPieBase) or the LibOS (ET_EXEC inside
// [kLibosBase, kLibosLimit)).
enum class ElfRole { app, libos };

struct ElfSegment {
  uint64_t vaddr;   // load bias applied
  uint64_t memsz;
  uint64_t offset;  // in the file
  uint64_t filesz;
  uint32_t flags;   // abi::SectionFlags
};

// Bytes that hold instructions: SHF_EXECINSTR sections when the file has
// section headers, else the executable segments' file bytes.
struct ElfCode {
  uint64_t vaddr;   // load bias applied
  uint64_t offset;  // in the file
  uint64_t size;
};

struct ElfSymbol {
  uint64_t addr;    // load bias applied
  uint64_t size;
  std::string name;
  bool function;    // STT_FUNC (else an untyped label in code, e.g. from assembly)
};

struct ElfProgram {
  std::vector<uint8_t> bytes;  // the whole file
  bool pie = false;
  std::string interp;          // PT_INTERP: dynamically linked (empty: static)
  uint64_t load_bias = 0;
  uint64_t entry = 0;          // load bias applied
  uint64_t phdr_addr = 0;      // guest address of the program headers
  uint16_t phent = 0;
  uint16_t phnum = 0;
  std::vector<ElfSegment> segments;  // PT_LOAD, sorted by vaddr
  std::vector<ElfCode> code;
  std::vector<ElfSymbol> symbols;    // from .symtab (empty when stripped)

  // The symbol of that name, or nullptr.
  const ElfSymbol* find_symbol(std::string_view name) const;
};

// Validates and describes `bytes`. Messages are one line without the file
// name (the caller adds it), e.g. "32-bit ELF (ELFCLASS32): shoal runs x86-64
// programs".
Result<ElfProgram> parse_elf(std::vector<uint8_t> bytes, ElfRole role);

// Reads `path` (at most 1 GiB) and parses it; errors start with the path.
Result<ElfProgram> load_elf(const std::string& path, ElfRole role);

// Reads a whole file; errors name the path.
Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_size);

// A short name for an ELF e_machine value in messages ("x86-64", "i386",
// ..., "unknown").
const char* elf_machine_name(uint16_t machine);

}  // namespace shoal::builder
