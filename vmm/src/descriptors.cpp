#include "descriptors.hpp"

#include <string.h>

#include <shoal/abi/hypercall.h>

static_assert(shoal::abi::kHypercallPortBase + shoal::abi::kHypercallCount + 3 <= shoal::vmm::kIoBitmapPorts);

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

void put32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
void put64(uint8_t* p, uint64_t v) { memcpy(p, &v, 8); }

}  // namespace

bool vector_has_error_code(unsigned vector) {
  switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21: case 29: case 30: return true;
    default: return false;
  }
}

std::array<uint64_t, kGdtEntries> build_gdt() {
  // Accessed bits are preset so the CPU never writes to the (supervisor) GDT.
  std::array<uint64_t, kGdtEntries> gdt{};
  gdt[0] = 0;
  gdt[kKernelCs >> 3] = 0x00af9b000000ffffull;         // code64, DPL 0
  gdt[kKernelDs >> 3] = 0x00cf93000000ffffull;         // data, DPL 0
  gdt[(kUserDs & ~3u) >> 3] = 0x00cff3000000ffffull;   // data, DPL 3
  gdt[(kUserCs & ~3u) >> 3] = 0x00affb000000ffffull;   // code64, DPL 3
  // 64-bit available TSS (type 9), present, limit kTssSize - 1, base kTssAddr.
  uint64_t base = kTssAddr, limit = kTssSize - 1;
  gdt[kTssSelector >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                           (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  gdt[(kTssSelector >> 3) + 1] = base >> 32;
  return gdt;
}

IdtGate make_interrupt_gate(uint64_t handler, uint16_t selector, uint8_t ist, uint8_t dpl) {
  IdtGate g;
  uint64_t type_attr = 0x80 | (uint64_t{dpl} & 3) << 5 | 0xe;  // present, 64-bit interrupt gate
  g.low = (handler & 0xffff) | (uint64_t{selector} << 16) | (uint64_t{ist} & 7) << 32 | type_attr << 40 |
          ((handler >> 16) & 0xffff) << 48;
  g.high = handler >> 32;
  return g;
}

std::array<IdtGate, kIdtEntries> build_idt() {
  std::array<IdtGate, kIdtEntries> idt{};
  for (unsigned v = 0; v < kIdtEntries; ++v) {
    uint64_t handler = kRing0CodeAddr + (v < 32 ? v * kStubSize : kSpuriousStubOffset);
    // NMI, #DF and #MC run on their own stack (IST1): they can hit while the
    // ring-0 stack is unusable.
    uint8_t ist = (v == 2 || v == 8 || v == 18) ? 1 : 0;
    // DPL 0 everywhere: `int N` from ring 3 raises #GP and is reported.
    idt[v] = make_interrupt_gate(handler, kKernelCs, ist, 0);
  }
  return idt;
}

std::array<uint8_t, kTssSize> build_tss(std::span<const uint16_t> kick_ports) {
  std::array<uint8_t, kTssSize> tss{};
  put64(&tss[4], kRing0StackTop);   // RSP0
  put64(&tss[36], kIst1StackTop);   // IST1
  uint16_t iomap = kTssIoBitmapOffset;
  memcpy(&tss[102], &iomap, 2);
  // A set bit denies the port; only the hypercall ports are open.
  for (uint64_t i = kTssIoBitmapOffset; i < kTssSize; ++i) tss[i] = 0xff;
  auto open = [&](uint64_t port) { tss[kTssIoBitmapOffset + port / 8] &= static_cast<uint8_t>(~(1u << (port % 8))); };
  for (uint64_t port = kHypercallPortBase; port < kHypercallPortBase + kHypercallCount + 3u; ++port) open(port);
  for (uint16_t kick : kick_ports) {
    if (kick + 4u > kIoBitmapPorts) continue;  // refused by write_descriptor_tables
    for (uint64_t port = kick; port < kick + 4u; ++port) open(port);
  }
  return tss;
}

std::array<uint8_t, kPageSize> build_ring0_code(uint32_t bounce_slot, uint32_t bounce_target) {
  std::array<uint8_t, kPageSize> code;
  code.fill(0xf4);  // hlt: anything that jumps astray stops
  auto jmp_to_common = [&](uint64_t at) {
    code[at] = 0xe9;
    put32(&code[at + 1], static_cast<uint32_t>(kCommonStubOffset - (at + 5)));
  };
  for (unsigned v = 0; v < 32; ++v) {
    uint64_t at = v * kStubSize;
    if (!vector_has_error_code(v)) {
      code[at++] = 0x6a;  // push $0
      code[at++] = 0x00;
    }
    code[at++] = 0x6a;  // push $vector (imm8, < 0x80)
    code[at++] = static_cast<uint8_t>(v);
    jmp_to_common(at);
  }
  {
    uint64_t at = kSpuriousStubOffset;
    code[at++] = 0x6a;  // push $0
    code[at++] = 0x00;
    code[at++] = 0x68;  // push $kSpuriousVector (imm32)
    put32(&code[at], kSpuriousVector);
    at += 4;
    jmp_to_common(at);
  }
  {
    uint64_t at = kCommonStubOffset;
    const uint8_t tail[] = {
        0x52,                                   // push %rdx
        0x66, 0xba, kFaultPort & 0xff, kFaultPort >> 8,  // mov $kFaultPort,%dx
        0xef,                                   // out %eax,%dx
        // Only reached when the monitor hands the fault to the LibOS's
        // upcall: it rewrote the CPU's frame (rip = the upcall, CPL 3), so
        // this returns to ring 3 there. Otherwise the instance ended at the `out`.
        0x5a,                                   // pop %rdx
        0x48, 0x83, 0xc4, 0x10,                 // add $16,%rsp (vector, error code)
        0x48, 0xcf,                             // iretq
        0xf4,                                   // hlt
        0xeb, 0xfd,                             // jmp to the hlt
    };
    memcpy(&code[at], tail, sizeof tail);
  }
  {
    // The LSTAR stub. On VT-x `syscall` enters it at CPL 0 and it returns
    // with sysretq. On PVM (vmm/README.md, "What PVM changed") it is entered at CPL 3, where
    // sysretq would #GP, so it checks CS and, in ring 3, restores rflags from
    // r11 itself (below the 128-byte red zone) and jumps. Either way it
    // leaves rcx = bounce target, r11 = the program's rflags, and the return
    // rip in the bounce slot.
    uint64_t at = kLstarStubOffset;
    auto emit = [&](std::initializer_list<uint8_t> bytes) {
      for (uint8_t b : bytes) code[at++] = b;
    };
    auto emit32 = [&](uint32_t v) {
      put32(&code[at], v);
      at += 4;
    };
    emit({0x48, 0x89, 0x0c, 0x25});  // mov %rcx, bounce_slot (absolute disp32)
    emit32(bounce_slot);
    emit({0x8c, 0xc9});              // mov %cs, %ecx
    emit({0xf6, 0xc1, 0x03});        // test $3, %cl
    emit({0x75, 0x08});              // jnz ring3 (skips the next 8 bytes)
    emit({0xb9});                    // mov $bounce_target, %ecx
    emit32(bounce_target);
    emit({0x48, 0x0f, 0x07});        // sysretq: rip = rcx, rflags = r11
    // ring3:
    emit({0x48, 0x8d, 0x64, 0x24, 0x80});                    // lea -128(%rsp), %rsp
    emit({0x41, 0x53});                                      // push %r11
    emit({0x9d});                                            // popfq
    emit({0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00});  // lea 128(%rsp), %rsp
    emit({0xb9});                                            // mov $bounce_target, %ecx
    emit32(bounce_target);
    emit({0xff, 0xe1});                                      // jmp *%rcx
  }
  return code;
}

Result<void> write_descriptor_tables(const GuestMemory& mem, uint32_t bounce_slot, uint32_t bounce_target,
                                     std::span<const uint16_t> kick_ports) {
  auto gdt = build_gdt();
  auto gdt_bytes = TRY(mem.span(kGdtAddr, sizeof gdt));
  // SAFETY: checked spans of exactly the copied sizes.
  memcpy(gdt_bytes.data(), gdt.data(), sizeof gdt);
  auto idt = build_idt();
  auto idt_bytes = TRY(mem.span(kIdtAddr, sizeof idt));
  memcpy(idt_bytes.data(), idt.data(), sizeof idt);
  for (uint16_t kick : kick_ports) {
    if (kick + 4u > kIoBitmapPorts || kick < kHypercallPortBase + kHypercallCount)
      return make_error("kick port " + hex(kick) + " is outside the TSS I/O bitmap's device range");
  }
  auto tss = build_tss(kick_ports);
  auto tss_bytes = TRY(mem.span(kTssAddr, sizeof tss));
  memcpy(tss_bytes.data(), tss.data(), sizeof tss);
  auto code = build_ring0_code(bounce_slot, bounce_target);
  auto code_bytes = TRY(mem.span(kRing0CodeAddr, sizeof code));
  memcpy(code_bytes.data(), code.data(), sizeof code);
  return {};
}

}  // namespace shoal::vmm
