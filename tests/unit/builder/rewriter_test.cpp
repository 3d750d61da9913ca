// The syscall rewriter on synthetic byte sequences: each result is decoded
// again and the jmp is followed into its stub.
#include <string.h>

#include <algorithm>
#include <vector>

#include <Zydis/Zydis.h>
#include <gtest/gtest.h>

#include <shoal/builder/rewriter.hpp>

namespace {

using namespace shoal::builder;

constexpr uint64_t kCode = 0x401000;
constexpr uint64_t kTramp = 0x500000;
constexpr uint64_t kEntry = 0x201000;

struct Decoded {
  uint64_t addr;
  ZydisMnemonic mnemonic;
  uint8_t len;
  uint64_t target;  // branch target or rip-relative memory address, else 0
};

std::vector<Decoded> decode(const std::vector<uint8_t>& b, uint64_t addr) {
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  std::vector<Decoded> out;
  size_t off = 0;
  while (off < b.size()) {
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, b.data() + off, b.size() - off, &in, ops))) break;
    Decoded d{addr + off, in.mnemonic, in.length, 0};
    for (int i = 0; i < in.operand_count_visible; ++i) {
      ZyanU64 abs;
      bool rel = (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[i].imm.is_relative) ||
                 (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[i].mem.base == ZYDIS_REGISTER_RIP);
      if (rel && ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[i], addr + off, &abs))) d.target = abs;
    }
    out.push_back(d);
    off += in.length;
  }
  return out;
}

struct Rewritten {
  std::vector<uint8_t> code;
  RewriteResult res;
};

Rewritten rewrite(std::vector<uint8_t> code, std::vector<uint64_t> targets = {}) {
  Rewritten r{std::move(code), {}};
  CodeRegion region{kCode, r.code};
  RewriteOptions opt;
  opt.trampoline_base = kTramp;
  opt.syscall_entry = kEntry;
  opt.extra_targets = std::move(targets);
  auto res = rewrite_syscalls(std::span<const CodeRegion>(&region, 1), opt);
  EXPECT_TRUE(res.ok()) << res.error().message;
  if (res) r.res = std::move(res.value());
  return r;
}

// The stub starting at `addr`, up to and including its final jmp.
std::vector<Decoded> stub_at(const Rewritten& r, uint64_t addr) {
  std::vector<uint8_t> rest(r.res.trampolines.begin() + static_cast<long>(addr - kTramp), r.res.trampolines.end());
  auto all = decode(rest, addr);
  std::vector<Decoded> out;
  for (const auto& d : all) {
    out.push_back(d);
    if (d.mnemonic == ZYDIS_MNEMONIC_JMP) break;
  }
  return out;
}

std::vector<ZydisMnemonic> mnemonics(const std::vector<Decoded>& v) {
  std::vector<ZydisMnemonic> m;
  for (const auto& d : v) m.push_back(d.mnemonic);
  return m;
}

TEST(Rewriter, MovThenSyscall) {
  auto r = rewrite({0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05, 0xc3});  // mov $60,%eax; syscall; ret
  EXPECT_EQ(r.res.sites, 1u);
  ASSERT_EQ(r.res.rewritten, 1u);
  auto site = decode(r.code, kCode);
  ASSERT_EQ(site[0].mnemonic, ZYDIS_MNEMONIC_JMP);
  EXPECT_EQ(site[0].target, kTramp);
  EXPECT_EQ(r.code[5], 0xcc);
  EXPECT_EQ(r.code[6], 0xcc);
  EXPECT_EQ(r.code[7], 0xc3);
  auto stub = stub_at(r, kTramp);
  EXPECT_EQ(mnemonics(stub), (std::vector<ZydisMnemonic>{ZYDIS_MNEMONIC_MOV, ZYDIS_MNEMONIC_LEA,
                                                           ZYDIS_MNEMONIC_CALL, ZYDIS_MNEMONIC_JMP}));
  EXPECT_EQ(stub[2].target, kEntry);
  EXPECT_EQ(stub[3].target, kCode + 7);
}

TEST(Rewriter, SyscallThenCmp) {
  // syscall; cmp $-4095,%rax; ret  (the shape of glibc's syscall wrappers)
  auto r = rewrite({0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, 0xc3});
  ASSERT_EQ(r.res.rewritten, 1u);
  auto stub = stub_at(r, kTramp);
  EXPECT_EQ(mnemonics(stub), (std::vector<ZydisMnemonic>{ZYDIS_MNEMONIC_LEA, ZYDIS_MNEMONIC_CALL,
                                                           ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_JMP}));
  EXPECT_EQ(stub[3].target, kCode + 8);
  EXPECT_EQ(r.code[8], 0xc3);
}

TEST(Rewriter, SyscallAtBranchTargetIsLeftAlone) {
  // je +5 (to the syscall); mov $1,%eax; syscall; ret
  std::vector<uint8_t> code{0x74, 0x05, 0xb8, 0x01, 0, 0, 0, 0x0f, 0x05, 0xc3};
  auto r = rewrite(code);
  EXPECT_EQ(r.res.sites, 1u);
  EXPECT_EQ(r.res.rewritten, 0u);
  ASSERT_EQ(r.res.fallback_sites.size(), 1u);
  EXPECT_EQ(r.res.fallback_sites[0], kCode + 7);
  EXPECT_EQ(r.code, code);
}

TEST(Rewriter, BranchTargetAfterSyscallBlocksFollowingDisplacement) {
  // syscall; cmp $-4095,%rax; ret — with the cmp reached from elsewhere.
  std::vector<uint8_t> code{0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, 0xc3};
  auto r = rewrite(code, {kCode + 2});
  EXPECT_EQ(r.res.rewritten, 0u);
  EXPECT_EQ(r.code, code);
}

TEST(Rewriter, SyscallAtBranchTargetMayStartTheRange) {
  // syscall (a branch target) ; cmp $-4095,%rax ; ret
  auto r = rewrite({0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, 0xc3}, {kCode});
  EXPECT_EQ(r.res.rewritten, 1u);
}

TEST(Rewriter, SyscallFollowedByBranchUsesPrecedingInstruction) {
  // mov $1,%eax; syscall; jmp .  — the jmp must stay in place.
  auto r = rewrite({0xb8, 0x01, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xfe});
  ASSERT_EQ(r.res.rewritten, 1u);
  auto site = decode(r.code, kCode);
  EXPECT_EQ(site[0].mnemonic, ZYDIS_MNEMONIC_JMP);
  EXPECT_EQ(r.code[7], 0xeb);
  EXPECT_EQ(r.code[8], 0xfe);
  auto stub = stub_at(r, kTramp);
  EXPECT_EQ(stub.back().target, kCode + 7);
}

TEST(Rewriter, NoMovableNeighbourIsLeftAlone) {
  std::vector<uint8_t> code{0xc3, 0x0f, 0x05, 0xc3};  // ret; syscall; ret
  auto r = rewrite(code);
  EXPECT_EQ(r.res.sites, 1u);
  EXPECT_EQ(r.res.rewritten, 0u);
  EXPECT_EQ(r.code, code);
}

TEST(Rewriter, RipRelativeNeighbourIsReencoded) {
  // lea 0x100(%rip),%rdi ; syscall ; ret
  auto r = rewrite({0x48, 0x8d, 0x3d, 0x00, 0x01, 0, 0, 0x0f, 0x05, 0xc3});
  ASSERT_EQ(r.res.rewritten, 1u);
  auto stub = stub_at(r, kTramp);
  ASSERT_EQ(stub[0].mnemonic, ZYDIS_MNEMONIC_LEA);
  EXPECT_EQ(stub[0].target, kCode + 7 + 0x100);  // same absolute address as before
  EXPECT_EQ(stub.back().target, kCode + 9);
}

TEST(Rewriter, TwoSitesGetTwoStubs) {
  // mov $1,%eax; syscall; mov $2,%eax; syscall; ret
  auto r = rewrite({0xb8, 1, 0, 0, 0, 0x0f, 0x05, 0xb8, 2, 0, 0, 0, 0x0f, 0x05, 0xc3});
  EXPECT_EQ(r.res.sites, 2u);
  ASSERT_EQ(r.res.rewritten, 2u);
  auto site = decode(r.code, kCode);
  ASSERT_GE(site.size(), 2u);
  auto second = std::find_if(site.begin() + 1, site.end(), [](const Decoded& d) { return d.mnemonic == ZYDIS_MNEMONIC_JMP; });
  ASSERT_NE(second, site.end());
  EXPECT_EQ(second->addr, kCode + 7);
  auto stub2 = stub_at(r, second->target);
  EXPECT_EQ(stub2.back().target, kCode + 14);
}

TEST(Rewriter, EntryOutOfRel32RangeIsLeftAlone) {
  std::vector<uint8_t> code{0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05, 0xc3};
  Rewritten r{code, {}};
  CodeRegion region{kCode, r.code};
  RewriteOptions opt{kTramp, 0x7f0000000000ull, {}};
  auto res = rewrite_syscalls(std::span<const CodeRegion>(&region, 1), opt);
  ASSERT_TRUE(res.ok()) << res.error().message;
  r.res = std::move(res.value());
  EXPECT_EQ(r.res.rewritten, 0u);
  EXPECT_EQ(r.code, code);
}

TEST(Rewriter, GarbageNeverCrashes) {
  std::vector<uint8_t> code(4096);
  uint64_t x = 12345;
  for (int round = 0; round < 50; ++round) {
    for (auto& b : code) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      b = static_cast<uint8_t>(x >> 56);
      if ((x >> 20) % 64 == 0) b = 0x0f;
      if ((x >> 20) % 64 == 1) b = 0x05;
    }
    auto r = rewrite(code);
    EXPECT_LE(r.res.rewritten, r.res.sites);
  }
}

}  // namespace
