// Linux x86-64 layouts and numbers of <asm/sigcontext.h> and <asm/ucontext.h>: what a
// signal handler finds in its frame (one definition for the whole LibOS; sizes are checked
// against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "uapi/signal.hpp"

namespace libos::uapi {

// struct sigcontext (64-bit).
struct Sigcontext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;
  uint64_t reserved[8];
};
static_assert(sizeof(Sigcontext) == 256);

// struct ucontext as the kernel writes it (uc_sigmask is the kernel's 64-bit sigset).
struct Ucontext {
  uint64_t flags;
  uint64_t link;
  Stack stack;
  Sigcontext mc;
  uint64_t sigmask;
};
static_assert(sizeof(Ucontext) == 304);

// ucontext flags.
inline constexpr uint64_t UC_FP_XSTATE = 1, UC_SIGCONTEXT_SS = 2;

// struct _fpx_sw_bytes: in the FXSAVE image's software-reserved bytes, says the frame
// holds an xsave image (magic1), of which components and how big.
struct FpxSwBytes {
  uint32_t magic1;         // FP_XSTATE_MAGIC1
  uint32_t extended_size;  // xstate_size + the trailing FP_XSTATE_MAGIC2
  uint64_t xfeatures;      // the components saved (XCR0)
  uint32_t xstate_size;    // the xsave image's size
  uint32_t padding[7];
};
static_assert(sizeof(FpxSwBytes) == 48);
inline constexpr uint32_t FP_XSTATE_MAGIC1 = 0x46505853, FP_XSTATE_MAGIC2 = 0x46505845;

}  // namespace libos::uapi
