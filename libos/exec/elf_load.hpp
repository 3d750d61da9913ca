// Loading an ELF file of the root filesystem into the running instance: the
// one loader both boot (a dynamic program's interpreter, boot/interp.cpp)
// and execve (exec/execve.cpp) use. Reading the headers and mapping are two
// steps, so that execve can refuse a bad file while the old program still
// runs (Linux's point of no return comes between them).
//
// Where an object goes: a position-independent one (ET_DYN: an interpreter,
// a PIE, a static-pie) is placed by mmap in the reservation window, each
// PT_LOAD mapped MAP_PRIVATE|MAP_FIXED from the file inside one reservation
// of its whole span, as ld.so maps a library. A program linked at fixed
// addresses (ET_EXEC, e.g. Debian's busybox-static at 0x400000) is loaded
// at its link addresses in the image area [kAppMinAddr, rootfs), where the
// monitor mapped the first program: the builder places the rootfs above
// every ET_EXEC program the image packs (builder README, "Several
// programs"), and page rights there are set per 4 KiB page as in the heap
// area (mm/heap_protect.hpp).
#pragma once

#include <stdint.h>

#include "uapi/elf.hpp"

namespace libos::exec {

inline constexpr uint16_t kMaxPhnum = 64;

struct ElfFile {
  int fd = -1;
  uapi::Elf64Ehdr eh{};
  uapi::Elf64Phdr ph[kMaxPhnum]{};
  uint64_t lo = 0, hi = 0;  // page-aligned span of the PT_LOAD segments (link addresses)
  uint64_t interp_off = 0;  // PT_INTERP: its string in the file (interp_len 0: none)
  uint64_t interp_len = 0;
};

// Reads and checks the headers of the open file fd (the caller keeps it
// open until elf_map). 0; -ENOEXEC for a file that is not a loadable x86-64
// ELF (bad magic, class, machine, type, program headers or segments); -EIO
// for a short read; -ENOMEM when an ET_EXEC program does not fit below the
// root filesystem.
long elf_read(int fd, ElfFile* out);

// Reads the PT_INTERP path (NUL-terminated, absolute) into buf (cap bytes).
// 0 or -ENOEXEC.
long elf_interp_path(const ElfFile& f, char* buf, uint64_t cap);

struct Loaded {
  uint64_t bias = 0;   // load address minus link address (0 for ET_EXEC)
  uint64_t base = 0;   // the lowest mapped address (AT_BASE for an interpreter)
  uint64_t entry = 0;  // e_entry + bias
  uint64_t phdr = 0;   // the program headers in memory (AT_PHDR)
};

// Maps every PT_LOAD of f (see above). 0 or -errno; on failure part of it
// may be mapped (execve has passed its point of no return then).
long elf_map(const ElfFile& f, Loaded* out);

// The image area's end: ET_EXEC programs must lie in [kAppMinAddr, this).
uint64_t image_area_end();
// Makes the image area's pages absent: the old program's, when execve loads
// an ET_DYN program (an ET_EXEC one's elf_map does it, unless it can reuse
// what is there).
void clear_image_area();

}  // namespace libos::exec
