// Linux x86-64 ELF structures and constants of <elf.h> that the LibOS needs
// to start a dynamically linked program (boot/interp.cpp): the ELF header,
// program headers, and the values checked in them.
#pragma once

#include <stdint.h>

namespace libos::uapi {

struct Elf64Ehdr {
  unsigned char e_ident[16];
  uint16_t e_type;
  uint16_t e_machine;
  uint32_t e_version;
  uint64_t e_entry;
  uint64_t e_phoff;
  uint64_t e_shoff;
  uint32_t e_flags;
  uint16_t e_ehsize;
  uint16_t e_phentsize;
  uint16_t e_phnum;
  uint16_t e_shentsize;
  uint16_t e_shnum;
  uint16_t e_shstrndx;
};
static_assert(sizeof(Elf64Ehdr) == 64);

struct Elf64Phdr {
  uint32_t p_type;
  uint32_t p_flags;
  uint64_t p_offset;
  uint64_t p_vaddr;
  uint64_t p_paddr;
  uint64_t p_filesz;
  uint64_t p_memsz;
  uint64_t p_align;
};
static_assert(sizeof(Elf64Phdr) == 56);

inline constexpr unsigned char ELFMAG[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr int EI_CLASS = 4, EI_DATA = 5;
inline constexpr unsigned char ELFCLASS64 = 2, ELFDATA2LSB = 1;
inline constexpr uint16_t ET_EXEC = 2, ET_DYN = 3, EM_X86_64 = 62;
inline constexpr uint32_t PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6;
inline constexpr uint32_t PF_X = 1, PF_W = 2, PF_R = 4;

}  // namespace libos::uapi
