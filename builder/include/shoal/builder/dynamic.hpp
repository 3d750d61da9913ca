// Dynamically linked programs: what the host's loader would load.
//
// A program with PT_INTERP is packed with its interpreter and the closure of
// its DT_NEEDED libraries, each at the path the loader opens it by, resolved
// as glibc's ld.so does (DT_RPATH when there is no DT_RUNPATH, DT_RUNPATH,
// the directories of /etc/ld.so.conf and its includes, then the system
// directories), all inside `root` when one is given. Candidates of another
// class or machine are skipped, as ld.so skips them; every ELF file read is
// checked, and errors name the file.
#pragma once

#include <stdint.h>

#include <span>
#include <string>
#include <vector>

#include <shoal/base/result.hpp>
#include <shoal/builder/rootfs.hpp>

namespace shoal::builder {

// The dynamic-linking view of one ELF file.
struct DynamicInfo {
  bool x86_64 = false;   // ELFCLASS64, little-endian, EM_X86_64
  std::string machine;   // for messages when not x86_64 ("i386", "aarch64", ...)
  uint16_t type = 0;     // e_type
  std::string interp;    // PT_INTERP, empty if none
  std::string soname;    // DT_SONAME
  std::vector<std::string> needed;   // DT_NEEDED, in order
  std::vector<std::string> rpath;    // DT_RPATH entries, $ORIGIN not yet expanded
  std::vector<std::string> runpath;  // DT_RUNPATH entries
};

// Reads the ELF header, program headers and dynamic section of `bytes`.
// A non-x86-64 file is not an error (x86_64 = false); a file that is not
// ELF, or whose headers or dynamic section are out of bounds, is (messages
// without the file name).
Result<DynamicInfo> read_dynamic_info(std::span<const uint8_t> bytes);

// The directories ld.so.conf lists (includes and globs followed), in order,
// read inside root ("" = the host). Missing files give no directories.
std::vector<std::string> ld_so_conf_dirs(const std::string& root);

struct DynamicClosure {
  std::string interp;                 // the interpreter's path (PT_INTERP)
  std::vector<std::string> libraries; // paths as the loader opens them, in load order
  std::vector<std::string> warnings;  // unresolved needs of optional objects
};

// The interpreter and libraries `program` (its path in the image, read from
// program_file, a host path) needs, plus those every object in `optional`
// needs (host paths of ELF files packed at their own paths, e.g. Python's
// lib-dynload/*.so, which a program dlopens): a library an optional object
// needs but that is not found only gives a warning. Libraries are searched
// inside root. Errors name the object and the library.
Result<DynamicClosure> resolve_closure(const std::string& program, const std::string& program_file,
                                       const std::string& root, const std::vector<std::string>& optional = {});

// What every ELF object of a dynamic image becomes on its way into the root
// filesystem (the program file, its interpreter, its libraries, and the ELF
// files of --include trees): `path` is its path in the image. Its syscall
// sites are rewritten into calls to syscall_entry (the LibOS's
// shoal_syscall_entry) through stubs of its own (object_rewriter.hpp); with
// `rewrite` false they are only counted and the bytes packed as they are
// (--no-rewrite: every site takes the ring-0 bounce). The CLI sets it as
// RootfsExtras::elf_hook (cli/src/inputs.cpp).
Result<PackedElf> pack_elf_object(const std::string& path, std::vector<uint8_t> bytes, uint64_t syscall_entry,
                                  bool rewrite);

// Whether bytes start with the ELF magic.
bool is_elf(std::span<const uint8_t> bytes);

}  // namespace shoal::builder
