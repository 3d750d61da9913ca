// GDT, IDT and TSS encodings, and the ring-0 stubs decoded with Zydis.
#include <string.h>

#include <string>
#include <vector>

#include <Zydis/Zydis.h>
#include <gtest/gtest.h>
#include <shoal/abi/channel.h>
#include <shoal/abi/netdev.h>
#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>

#include "descriptors.hpp"

using namespace shoal::vmm;
namespace sabi = shoal::abi;

namespace {

struct Insn {
  std::string text;
  uint64_t next;
};

// Disassembles (Intel syntax) the code page from guest address addr.
std::vector<Insn> disassemble(const std::array<uint8_t, sabi::kPageSize>& code, uint64_t addr, size_t count) {
  std::vector<Insn> out;
  for (size_t i = 0; i < count; ++i) {
    uint64_t off = addr - sabi::kRing0CodeAddr;
    ZydisDisassembledInstruction insn;
    if (!ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, addr, code.data() + off, code.size() - off,
                                            &insn)))
      break;
    addr += insn.info.length;
    out.push_back({insn.text, addr});
  }
  return out;
}

TEST(Gdt, SelectorsMatchTheAbi) {
  auto gdt = build_gdt();
  EXPECT_EQ(gdt[0], 0u);
  auto dpl = [](uint64_t d) { return (d >> 45) & 3; };
  auto present = [](uint64_t d) { return (d >> 47) & 1; };
  auto is_code = [](uint64_t d) { return (d >> 43) & 1; };
  auto long_mode = [](uint64_t d) { return (d >> 53) & 1; };
  uint64_t kcode = gdt[sabi::kKernelCs >> 3], kdata = gdt[sabi::kKernelDs >> 3];
  uint64_t ucode = gdt[sabi::kUserCs >> 3], udata = gdt[sabi::kUserDs >> 3];
  EXPECT_TRUE(present(kcode) && is_code(kcode) && long_mode(kcode) && dpl(kcode) == 0);
  EXPECT_TRUE(present(kdata) && !is_code(kdata) && dpl(kdata) == 0);
  EXPECT_TRUE(present(ucode) && is_code(ucode) && long_mode(ucode) && dpl(ucode) == 3);
  EXPECT_TRUE(present(udata) && !is_code(udata) && dpl(udata) == 3);
  // SYSRET: user SS = STAR[63:48] + 8, user CS = STAR[63:48] + 16.
  EXPECT_EQ(sabi::kUserDs & ~3, 0x10 + 8);
  EXPECT_EQ(sabi::kUserCs & ~3, 0x10 + 16);
}

TEST(Gdt, TssDescriptor) {
  auto gdt = build_gdt();
  uint64_t lo = gdt[sabi::kTssSelector >> 3], hi = gdt[(sabi::kTssSelector >> 3) + 1];
  uint64_t base = ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24) | (hi << 32);
  uint64_t limit = (lo & 0xffff) | (((lo >> 48) & 0xf) << 16);
  EXPECT_EQ(base, sabi::kTssAddr);
  EXPECT_EQ(limit, kTssSize - 1);
  EXPECT_EQ((lo >> 40) & 0xf, 9u);  // available 64-bit TSS
  EXPECT_EQ((lo >> 47) & 1, 1u);
}

TEST(Idt, GatesPointAtStubsWithDpl0) {
  auto idt = build_idt();
  for (unsigned v = 0; v < kIdtEntries; ++v) {
    const auto& g = idt[v];
    uint64_t offset = (g.low & 0xffff) | (((g.low >> 48) & 0xffff) << 16) | (g.high << 32);
    uint64_t want = sabi::kRing0CodeAddr + (v < 32 ? v * kStubSize : kSpuriousStubOffset);
    EXPECT_EQ(offset, want) << v;
    EXPECT_EQ((g.low >> 16) & 0xffff, sabi::kKernelCs) << v;
    EXPECT_EQ((g.low >> 40) & 0xff, 0x8eu) << v;  // present, DPL 0, interrupt gate
    unsigned ist = (g.low >> 32) & 7;
    EXPECT_EQ(ist, (v == 2 || v == 8 || v == 18) ? 1u : 0u) << v;
  }
}

TEST(Tss, StacksAndIoBitmap) {
  // The kick ports the channel and network modules list (devices/*/).
  const uint16_t kicks[] = {sabi::kChannelKickPort, sabi::kNetKickPort};
  auto tss = build_tss(kicks);
  uint64_t rsp0, ist1;
  uint16_t iomap;
  memcpy(&rsp0, &tss[4], 8);
  memcpy(&ist1, &tss[36], 8);
  memcpy(&iomap, &tss[102], 2);
  EXPECT_EQ(rsp0, sabi::kRing0StackTop);
  EXPECT_EQ(ist1, kIst1StackTop);
  EXPECT_GT(ist1, sabi::kRing0StackBottom);
  EXPECT_LT(ist1, rsp0);
  ASSERT_EQ(iomap, kTssIoBitmapOffset);
  auto denied = [&](unsigned port) { return (tss[iomap + port / 8] >> (port % 8)) & 1; };
  for (unsigned nr = 1; nr < sabi::kHypercallCount; ++nr) {
    for (unsigned b = 0; b < 4; ++b) EXPECT_FALSE(denied(sabi::kHypercallPortBase + nr + b)) << nr;
  }
  for (unsigned b = 0; b < 4; ++b) EXPECT_FALSE(denied(sabi::kChannelKickPort + b)) << "kick port +" << b;
  for (unsigned b = 0; b < 4; ++b) EXPECT_FALSE(denied(sabi::kNetKickPort + b)) << "net kick port +" << b;
  EXPECT_TRUE(denied(sabi::kNetKickPort + 4));
  // The hypercalls' range ends at or before the first kick port (with 13
  // hypercalls they abut: 0x500 + 13 + 3 = 0x510); a gap between is closed.
  static_assert(sabi::kHypercallPortBase + sabi::kHypercallCount + 3 <= sabi::kChannelKickPort);
  if (sabi::kHypercallPortBase + sabi::kHypercallCount + 3 < sabi::kChannelKickPort) {
    EXPECT_TRUE(denied(sabi::kChannelKickPort - 1));
    EXPECT_TRUE(denied(sabi::kHypercallPortBase + sabi::kHypercallCount + 3));
  }
  EXPECT_TRUE(denied(sabi::kFaultPort));
  EXPECT_TRUE(denied(0x80));
  EXPECT_TRUE(denied(0x3f8));
  EXPECT_EQ(tss[kTssSize - 1], 0xff);  // the bitmap's terminator
  EXPECT_LE(kTssSize, sabi::kPageSize);
}

TEST(Stubs, VectorWithoutErrorCode) {
  auto code = build_ring0_code(0x201ff8, 0x200040);
  auto insns = disassemble(code, sabi::kRing0CodeAddr + 6 * kStubSize, 3);  // #UD
  ASSERT_EQ(insns.size(), 3u);
  EXPECT_EQ(insns[0].text, "push 0x00");
  EXPECT_EQ(insns[1].text, "push 0x06");
  char jmp[32];
  snprintf(jmp, sizeof jmp, "jmp 0x%016lX", static_cast<unsigned long>(sabi::kRing0CodeAddr + kCommonStubOffset));
  EXPECT_EQ(insns[2].text, jmp);
}

TEST(Stubs, VectorWithErrorCode) {
  auto code = build_ring0_code(0x201ff8, 0x200040);
  auto insns = disassemble(code, sabi::kRing0CodeAddr + 14 * kStubSize, 2);  // #PF
  ASSERT_EQ(insns.size(), 2u);
  EXPECT_EQ(insns[0].text, "push 0x0E");
  EXPECT_EQ(insns[1].text.substr(0, 4), "jmp ");
}

TEST(Stubs, EveryVectorReachesTheCommonTail) {
  auto code = build_ring0_code(0x201ff8, 0x200040);
  for (unsigned v = 0; v < 32; ++v) {
    auto insns = disassemble(code, sabi::kRing0CodeAddr + v * kStubSize, vector_has_error_code(v) ? 2 : 3);
    ASSERT_FALSE(insns.empty());
    char want[32];
    snprintf(want, sizeof want, "jmp 0x%016lX", static_cast<unsigned long>(sabi::kRing0CodeAddr + kCommonStubOffset));
    EXPECT_EQ(insns.back().text, want) << v;
    EXPECT_LE(insns.back().next, sabi::kRing0CodeAddr + (v + 1) * kStubSize) << v;
  }
}

TEST(Stubs, CommonTail) {
  auto code = build_ring0_code(0x201ff8, 0x200040);
  auto insns = disassemble(code, sabi::kRing0CodeAddr + kCommonStubOffset, 7);
  ASSERT_EQ(insns.size(), 7u);
  EXPECT_EQ(insns[0].text, "push rdx");
  EXPECT_EQ(insns[1].text, "mov dx, 0x4FF");
  EXPECT_EQ(insns[2].text, "out dx, eax");
  // The return to ring 3 the fault upcall uses (after the monitor rewrote the frame).
  EXPECT_EQ(insns[3].text, "pop rdx");
  EXPECT_EQ(insns[4].text, "add rsp, 0x10");
  EXPECT_EQ(insns[5].text, "iretq");
  EXPECT_EQ(insns[6].text, "hlt");
}

TEST(Stubs, LstarBounce) {
  auto code = build_ring0_code(0x201ff8, 0x200040);
  auto insns = disassemble(code, sabi::kRing0CodeAddr + kLstarStubOffset, 12);
  ASSERT_EQ(insns.size(), 12u);
  EXPECT_EQ(insns[0].text, "mov [0x0000000000201FF8], rcx");
  EXPECT_EQ(insns[1].text, "mov ecx, cs");
  EXPECT_EQ(insns[2].text, "test cl, 0x03");
  EXPECT_EQ(insns[3].text.substr(0, 4), "jnz ");
  EXPECT_EQ(insns[4].text, "mov ecx, 0x200040");
  EXPECT_EQ(insns[5].text, "sysret");  // Zydis spells sysretq so; check REX.W
  EXPECT_EQ(code[insns[4].next - sabi::kRing0CodeAddr], 0x48);
  // The ring-3 path (PVM) starts where the jnz goes.
  char target[32];
  snprintf(target, sizeof target, "jnz 0x%016lX", static_cast<unsigned long>(insns[5].next));
  EXPECT_EQ(insns[3].text, target);
  EXPECT_EQ(insns[6].text, "lea rsp, [rsp-0x80]");
  EXPECT_EQ(insns[7].text, "push r11");
  EXPECT_EQ(insns[8].text, "popfq");
  EXPECT_EQ(insns[9].text, "lea rsp, [rsp+0x80]");
  EXPECT_EQ(insns[10].text, "mov ecx, 0x200040");
  EXPECT_EQ(insns[11].text, "jmp rcx");
}

}  // namespace
