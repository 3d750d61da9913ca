// The syscall rewriter for whole ELF objects that a dynamic loader maps
// anywhere: shared objects, PIEs, the interpreter ld.so itself
// (DESIGN.md decision 11). The output is an ordinary ELF file that glibc's
// ld.so and the kernel load unmodified; it carries its own stubs:
//
//   original file, byte-identical except: the ELF header (e_phoff, e_phnum,
//   e_shoff, e_shnum), PT_PHDR (moved), and the patched syscall sites
//   [zero padding to a page]
//   new PT_LOAD (R+X), after every other segment:
//     +0   8-byte slot = syscall_entry   stubs `call *slot(%rip)`: the LibOS
//                                        is too far away for `call rel32`
//     +8   kObjectRewriteMagic (16 bytes): an already rewritten object
//     +24  u32 sites, u32 rewritten (what the rewrite found)
//     +32  the program header table (the old one + this PT_LOAD)
//     ...  stubs (section .shoal.stubs), the contract of rewriter.hpp
//   [not loaded: a copy of .shstrtab with ".shoal.stubs", the section
//    header table with that section appended]
//
// The new segment sits at the same vaddr - offset distance as the first
// segment, so e_phoff also locates the table in memory the way ld.so finds
// its own (base + e_phoff) and old kernels compute AT_PHDR. Patched sites
// jump rel32 into it: a loader maps an object's segments as one span.
//
// A range is only patched if no possible branch target lies strictly inside
// it; for an object that means direct branch targets plus everything that can
// be reached indirectly: dynamic and static symbols, relocation targets
// (RELA addends, RELR words, the words JUMP_SLOT/GLOB_DAT point at), DT_INIT,
// DT_FINI, the entry point, .eh_frame FDE starts and landing pads from the
// LSDAs, rip-relative addresses into code, and relative jump tables found
// behind rip-relative addresses in read-only data. Any doubt leaves the site
// to the ring-0 bounce.
#pragma once

#include <stdint.h>

#include <span>
#include <string_view>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::builder {

inline constexpr std::string_view kObjectRewriteMagic{"shoal-rewrite-1\0", 16};
inline constexpr std::string_view kStubSectionName = ".shoal.stubs";

struct ObjectRewriteOptions {
  uint64_t syscall_entry = 0;  // absolute guest address of shoal_syscall_entry
};

struct ObjectRewriteResult {
  std::vector<uint8_t> file;  // the rewritten object
  // The input carried the magic: it comes back as it was, except that its
  // slot now holds this call's syscall_entry; sites/rewritten are the
  // recorded counts, fallback is empty.
  bool already_rewritten = false;
  uint32_t sites = 0;              // syscall instructions found
  uint32_t rewritten = 0;          // of which now jump to a stub
  std::vector<uint64_t> fallback;  // link-time addresses (p_vaddr space) of sites left alone
  uint64_t stubs_vaddr = 0;        // link-time address of the new segment (0 if none)
};

// Rewrites an x86-64 ELF64 ET_DYN or ET_EXEC object. An object without
// syscall sites is returned unchanged (no new segment). Errors are one line
// naming what is wrong in the file (the caller adds the path); the input is
// untrusted.
Result<ObjectRewriteResult> rewrite_elf_object(std::span<const uint8_t> elf_file,
                                               const ObjectRewriteOptions& options);

}  // namespace shoal::builder
