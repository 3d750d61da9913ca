// The register frame shoal_syscall_entry (arch/x86_64/syscall_entry.S)
// pushes on the thread's kernel stack. The order is fixed by that file.
#pragma once

#include <stdint.h>

namespace libos {

struct SyscallFrame {
  uint64_t nr;                             // rax at entry
  uint64_t rdi, rsi, rdx, r10, r8, r9;     // arguments 1-6
  uint64_t rbx, rbp, r12, r13, r14, r15;   // callee-saved
  uint64_t rcx, r11;                       // clobbered by `syscall`
  uint64_t user_rsp;                       // points at the return address

  uint64_t arg(unsigned i) const {
    switch (i) {
      case 0: return rdi;
      case 1: return rsi;
      case 2: return rdx;
      case 3: return r10;
      case 4: return r8;
      default: return r9;
    }
  }
  // The program's rip/rsp at the `syscall` site.
  uint64_t user_rip() const { return *reinterpret_cast<const uint64_t*>(user_rsp); }
  uint64_t site_rsp() const { return user_rsp + 8 + 128; }
};
static_assert(sizeof(SyscallFrame) == 16 * 8);

}  // namespace libos
