// shoal guest ABI: the guest address space.
//
// This header is compiled by both the monitor (host) and the LibOS (guest,
// freestanding). Nothing else crosses the boundary. Guest memory is
// identity-mapped: a guest virtual address equals its guest physical address,
// so a pointer the guest passes in a hypercall is checked once against
// [0, memory_size) and then used as an offset into the monitor's mapping.
#pragma once

#include <stdint.h>

namespace shoal::abi {

inline constexpr uint32_t kAbiVersion = 1;
inline constexpr uint64_t kPageSize = 0x1000;
inline constexpr uint64_t kLargePageSize = 0x200000;

// ---- Monitor-owned area, [0, 2 MiB) ----------------------------------------
// Page 0 is never mapped, so a null dereference faults.
inline constexpr uint64_t kGdtAddr = 0x1000;          // supervisor-only
inline constexpr uint64_t kIdtAddr = 0x2000;          // supervisor-only
inline constexpr uint64_t kTssAddr = 0x3000;          // supervisor-only
inline constexpr uint64_t kRing0CodeAddr = 0x4000;    // exception stubs + LSTAR bounce
inline constexpr uint64_t kRing0StackBottom = 0x5000; // exception stack [0x5000, 0x8000)
inline constexpr uint64_t kRing0StackTop = 0x8000;
inline constexpr uint64_t kPageTableAddr = 0x10000;   // page-table pages [0x10000, 0x100000)
inline constexpr uint64_t kPageTableEnd = 0x100000;
// The page directories of the identity map of guest memory, one per GiB,
// consecutive: the entry mapping the 2 MiB region of va is the 8 bytes at
// kIdentityPdAddr + (va >> 21) * 8. They are user read-write (NX): the LibOS
// enforces page protections in the heap area by linking 4 KiB tables of its
// own there (libos/mm/heap_protect.cpp). The other page-table pages after
// them are user read-only, so the LibOS can copy a monitor-made 4 KiB table;
// the PML4 and the PDPT stay supervisor-only.
inline constexpr uint64_t kIdentityPdAddr = 0x12000;
inline constexpr uint64_t kBootInfoAddr = 0x100000;   // struct BootInfo, user read-only
inline constexpr uint64_t kArgsAddr = 0x101000;       // argv/env/exe strings, user read-only
inline constexpr uint64_t kArgsEnd = 0x200000;

// ---- Image area --------------------------------------------------------------
// The LibOS is linked at kLibosBase and must end below kLibosLimit.
inline constexpr uint64_t kLibosBase = 0x200000;
inline constexpr uint64_t kLibosLimit = 0x400000;
// Application segments must lie at or above kAppMinAddr. A static-PIE program
// (p_vaddr starting at 0) is placed at kStaticPieBase.
inline constexpr uint64_t kAppMinAddr = 0x400000;
inline constexpr uint64_t kStaticPieBase = 0x400000;

// ---- Top of memory -----------------------------------------------------------
// The main thread's stack ends at memory_size; below it lies an unmapped guard
// of kStackGuardSize so a stack overflow faults instead of corrupting the heap.
inline constexpr uint64_t kMainStackSize = 8ull << 20;
inline constexpr uint64_t kStackGuardSize = 64ull << 10;

inline constexpr uint64_t kMinMemory = 16ull << 20;
// Guest memory is address space first: only touched pages cost host memory
// (MAP_NORESERVE), and glibc reserves 8 MiB of stack per thread.
inline constexpr uint64_t kDefaultMemory = 512ull << 20;
inline constexpr uint64_t kMaxMemory = 64ull << 30;

// ---- Reservation window ----------------------------------------------------
// Address space beyond guest memory, for reservations (mmap PROT_NONE: Go's
// arenas, glibc's thread heaps and stacks). Guest-virtual
// [kWindowBase, kWindowBase + kWindowSize) is PML4 entry 1; nothing there is
// guest-physical. The monitor links PML4[1] to the page-directory-pointer
// table at kWindowPdptAddr, which is user read-write: the LibOS itself writes
// its entries (page directories it takes from the heap) and their 2 MiB
// leaves, which point at 2 MiB-aligned frames of guest memory. So a
// reservation costs no memory, and what the window commits comes out of
// guest memory (--memory). The monitor translates a window address through
// these tables (checked) when a hypercall names one.
// NOTE: a KVM memory slot covering 64 GiB costs ~140-160 MiB of host kernel
// memory per VM under kvm_pvm (shadow-MMU rmaps) and 0.2-0.5 s to create;
// hence page tables, not a bigger slot (docs/architecture.md, "Memory").
inline constexpr uint64_t kWindowBase = 512ull << 30;
inline constexpr uint64_t kWindowSize = 512ull << 30;
inline constexpr uint64_t kWindowPdptAddr = 0xff000;  // last page of the page-table area
inline constexpr uint64_t kWindowChunk = kLargePageSize;

// ---- The family region ------------------------------------------------------
// Memory every process of an instance family shares (System V shared memory,
// semaphores and message queues, POSIX shared memory under /dev/shm;
// docs/architecture.md, "Memory a process family shares"). The monitor backs
// it with a memfd mapped MAP_SHARED, so a forked monitor keeps the same
// pages; the page tables map it user read-write, never executable, at
// kFamilyAddr (a 1 GiB entry of its own above guest memory, the channel and
// the network device), but the KVM memory slot behind it is installed only
// when the guest first asks (the `family` hypercall): an instance that never
// uses IPC pays neither the slot (1-10 ms at run time under kvm_pvm) nor its
// host kernel memory. Its size is BootInfo::family_size (shoal-vmm
// --shm-size; 0: no region, the IPC calls fail with ENOSYS).
inline constexpr uint64_t kFamilyAddr = 0x2000000000ull;  // 128 GiB
inline constexpr uint64_t kDefaultFamilySize = 64ull << 20;
inline constexpr uint64_t kMaxFamilySize = 1ull << 30;

// ---- Segment selectors (GDT built by the monitor) ----------------------------
// The order is fixed by SYSCALL/SYSRET: STAR[47:32] = kernel CS, kernel SS = +8;
// STAR[63:48] = 0x10, user SS = 0x10 + 8, user CS = 0x10 + 16.
inline constexpr uint16_t kKernelCs = 0x08;
inline constexpr uint16_t kKernelDs = 0x10;
inline constexpr uint16_t kUserDs = 0x18 | 3;
inline constexpr uint16_t kUserCs = 0x20 | 3;
inline constexpr uint16_t kTssSelector = 0x28;

}  // namespace shoal::abi
