// Starting a dynamically linked program as Linux's execve does (binfmt_elf):
// the program itself is already mapped (the image's app sections, a PIE at
// kStaticPieBase); its PT_INTERP names the interpreter, which is mapped here
// from the root filesystem at a base the window chooses, so that the program
// starts at the interpreter's entry with AT_BASE pointing at it.
#pragma once

#include <stdint.h>

namespace libos {

struct Interp {
  uint64_t base = 0;   // AT_BASE: where the interpreter's first page is; 0 = static program
  uint64_t entry = 0;  // where the program starts (the interpreter's entry)
};

// Reads the program headers at phdr (phnum entries, already mapped); if one
// is PT_INTERP, loads that interpreter. A static program gives {0, 0}. A
// missing or bad interpreter ends the instance with status 127 and a line
// naming it, as a shell reports a failed exec.
Interp load_interpreter(uint64_t phdr, uint64_t phent, uint64_t phnum);

}  // namespace libos
