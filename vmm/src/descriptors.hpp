// GDT, IDT and TSS contents and the ring-0 stubs, as bytes the monitor writes
// into guest memory (boot set-up). Pure functions; unit-tested
// in tests/unit/vmm/descriptors_test.cpp.
//
// Ring 0 exists only to report exceptions and to bounce a stray `syscall`
// back to ring 3 (guest ring-0 code is emulated on PVM hosts: docs/architecture.md,
// "Why ring 3"):
//   - vector stubs: `push $0` if the CPU pushes no error code, `push $vector`,
//     then the common tail `push %rdx; mov $kFaultPort,%dx; out %eax,%dx`.
//     The monitor then finds at the ring-0 rsp the FaultFrame below. rdx is
//     saved first so every general-purpose register of the program is intact
//     in the report. If the monitor hands the fault to the LibOS's upcall
//     (abi HcUpcall) it rewrites the frame's rip/cs/rflags/rsp/ss and lets
//     the tail go on: `pop %rdx; add $16,%rsp; iretq` back to ring 3 — a few
//     emulated ring-0 instructions, cheaper on PVM than KVM_SET_SREGS, which
//     resets the shadow MMU.
//   - the I/O permission bitmap in the TSS (see kTssSize).
//   - the LSTAR stub: `mov %rcx,(slot); mov $bounce,%ecx; sysretq`.
#pragma once

#include <stdint.h>

#include <array>
#include <span>
#include <vector>

#include <shoal/abi/layout.h>
#include <shoal/base/result.hpp>

#include "guest_memory.hpp"

namespace shoal::vmm {

inline constexpr uint64_t kIst1StackTop = abi::kRing0StackBottom + abi::kPageSize;  // [0x5000, 0x6000)
inline constexpr uint64_t kGdtEntries = 7;  // null, kcode, kdata, udata, ucode, TSS (2 slots)
inline constexpr uint64_t kIdtEntries = 256;
// The TSS carries an I/O permission bitmap that opens exactly the hypercall
// ports and the devices' kick ports (DeviceModule::kick_ports: the channel's
// abi::kChannelKickPort, the network device's abi::kNetKickPort) to ring 3. NOTE: PVM (vmm/README.md, "What PVM changed") drops IOPL from the rflags the
// monitor sets for a CPL-3 vCPU, so `out` from ring 3 is allowed by this
// bitmap, not by IOPL 3. Any other port (the fault port included) raises #GP.
inline constexpr uint64_t kTssIoBitmapOffset = 104;
// A 4-byte `outl` to port P needs the bits of P..P+3 clear, so the open ranges
// are [kHypercallPortBase, kHypercallPortBase + kHypercallCount + 3) and
// [P, P + 4) for each kick port P. Ports past the bitmap are denied; a kick
// port must lie below kIoBitmapPorts (write_descriptor_tables checks).
// The kick ports are open even without the device: an `outl` to it then exits to
// the monitor, which reports "not a hypercall".
inline constexpr uint64_t kIoBitmapPorts = 0x538;
inline constexpr uint64_t kTssSize = kTssIoBitmapOffset + kIoBitmapPorts / 8 + 1;  // + the 0xff terminator

// Offsets of the pieces of ring-0 code inside the page at kRing0CodeAddr.
inline constexpr uint64_t kStubSize = 16;                  // one per vector 0-31
inline constexpr uint64_t kSpuriousStubOffset = 32 * kStubSize;  // vectors 32-255
inline constexpr uint64_t kCommonStubOffset = 0x280;
inline constexpr uint64_t kLstarStubOffset = 0x300;
inline constexpr uint64_t kSpuriousVector = 0x100;         // "vector" pushed by the spurious stub

// What the ring-0 rsp points at when a stub reaches the fault port.
struct FaultFrame {
  uint64_t rdx;     // the program's rdx, saved by the common tail
  uint64_t vector;
  uint64_t error;   // 0 for vectors without an error code
  uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};
static_assert(sizeof(FaultFrame) == 64);

// True for vectors where the CPU pushes an error code (#DF #TS #NP #SS #GP #PF #AC #CP #VC #SX).
bool vector_has_error_code(unsigned vector);

std::array<uint64_t, kGdtEntries> build_gdt();

struct IdtGate {
  uint64_t low;
  uint64_t high;
};
IdtGate make_interrupt_gate(uint64_t handler, uint16_t selector, uint8_t ist, uint8_t dpl);
std::array<IdtGate, kIdtEntries> build_idt();

std::array<uint8_t, kTssSize> build_tss(std::span<const uint16_t> kick_ports);

// The page of ring-0 code. bounce_slot and bounce_target must be below 2 GiB
// (they are encoded as 32-bit immediates); the caller validates that.
std::array<uint8_t, abi::kPageSize> build_ring0_code(uint32_t bounce_slot, uint32_t bounce_target);

// Writes GDT, IDT, TSS and the ring-0 code page into guest memory; the TSS
// opens kick_ports (each 4 bytes wide, below kIoBitmapPorts).
Result<void> write_descriptor_tables(const GuestMemory& mem, uint32_t bounce_slot, uint32_t bounce_target,
                                     std::span<const uint16_t> kick_ports);

}  // namespace shoal::vmm
