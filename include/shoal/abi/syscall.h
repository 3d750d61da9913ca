// shoal guest ABI: how a program's system calls reach the LibOS.
//
// This is an ABI between two pieces of guest code that shoal produces — the
// stubs `shoal build` writes for rewritten `syscall` sites and the LibOS's
// dispatcher — plus the ring-0 fallback the monitor installs. It lives here
// because the builder (host) must generate code that honours it.
//
// Entry contract of the LibOS symbol `shoal_syscall_entry` (ring 3):
//   - [rsp] is the return address; the 128 bytes above it are the caller's
//     red zone, which the entry never touches;
//   - rax = system call number; arguments in rdi, rsi, rdx, r10, r8, r9;
//   - it returns the result in rax (-errno on error) with `ret $128`, so rsp
//     is back to its value at the original `syscall` site;
//   - every register other than rax, rcx and r11 is preserved, including the
//     vector registers (the LibOS is compiled with -mgeneral-regs-only), just
//     as the `syscall` instruction preserves them.
//
// A rewritten site (`shoal build`): the `syscall` and neighbouring whole
// instructions (at least 5 bytes, no branch target inside) become
// `jmp rel32` to a stub in the trampolines section:
//     <displaced instructions that preceded syscall>
//     lea -128(%rsp), %rsp
//     call shoal_syscall_entry
//     <displaced instructions that followed syscall>
//     jmp <first byte after the displaced range>
//
// A missed site still works: `syscall` enters ring 0 at LSTAR (monitor-owned
// stub at kRing0CodeAddr), which stores rcx (the return rip) at
// ImageHeader::libos_bounce_slot and `sysretq`s to
// ImageHeader::libos_syscall_bounce, which does
//     lea -128(%rsp), %rsp
//     push (bounce_slot)
//     jmp shoal_syscall_entry
// Correct, but a few emulated ring-0 instructions slower (PLATFORM.md).
//
// A new thread (clone) resumes from `shoal_syscall_entry`'s return path with
// rax = 0, on its new stack: the LibOS writes the parent's return address at
// (child_stack - 136) and returns there with `ret $128`.
#pragma once

namespace shoal::abi {

inline constexpr const char* kSyscallEntrySymbol = "shoal_syscall_entry";
inline constexpr const char* kSyscallBounceSymbol = "shoal_syscall_bounce";
inline constexpr const char* kBounceSlotSymbol = "shoal_bounce_rip";
inline constexpr const char* kLibosEntrySymbol = "shoal_libos_start";
inline constexpr unsigned kRedZone = 128;

}  // namespace shoal::abi
