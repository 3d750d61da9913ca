// The vCPU entry state and BootInfo, as pure functions.
#include <string.h>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/boot.h>
#include <shoal/abi/layout.h>

#include "boot_info.hpp"
#include "cpu_setup.hpp"
#include "descriptors.hpp"

using namespace shoal::vmm;
namespace sabi = shoal::abi;

namespace {

kvm_cpuid_entry2 leaf(uint32_t function, uint32_t index, uint32_t eax, uint32_t ecx = 0, uint32_t edx = 0) {
  kvm_cpuid_entry2 e{};
  e.function = function;
  e.index = index;
  e.eax = eax;
  e.ecx = ecx;
  e.edx = edx;
  return e;
}

TEST(Xcr0, AvxWithoutAvx512) {
  EXPECT_EQ(choose_xcr0({leaf(0xd, 0, 0x7)}), 0x7u);
  EXPECT_EQ(choose_xcr0({leaf(0xd, 0, 0x3)}), 0x3u);
  EXPECT_EQ(choose_xcr0({leaf(0xd, 0, 0x207)}), 0x7u);  // PKRU and others stay off
}

TEST(Xcr0, Avx512OnlyWhole) {
  EXPECT_EQ(choose_xcr0({leaf(0xd, 0, 0xe7)}), 0xe7u);
  EXPECT_EQ(choose_xcr0({leaf(0xd, 0, 0x67)}), 0x7u);  // a partial AVX-512 set is not enabled
}

TEST(Xcr0, NoLeafMeansSse) { EXPECT_EQ(choose_xcr0({}), 0x3u); }

TEST(Cpuid, Xsave) {
  EXPECT_TRUE(cpuid_has_xsave({leaf(1, 0, 0, 1u << 26)}));
  EXPECT_FALSE(cpuid_has_xsave({leaf(1, 0, 0, 0)}));
  EXPECT_FALSE(cpuid_has_xsave({}));
}

TEST(EntryState, SregsAreLongModeCpl3) {
  kvm_sregs s = make_entry_sregs(kvm_sregs{}, 0x10000, true);
  EXPECT_EQ(s.cs.selector, sabi::kUserCs);
  EXPECT_EQ(s.cs.dpl, 3);
  EXPECT_EQ(s.cs.l, 1);
  EXPECT_EQ(s.cs.db, 0);
  for (const auto* seg : {&s.ss, &s.ds, &s.es, &s.fs, &s.gs}) {
    EXPECT_EQ(seg->selector, sabi::kUserDs);
    EXPECT_EQ(seg->dpl, 3);
  }
  EXPECT_EQ(s.tr.selector, sabi::kTssSelector);
  EXPECT_EQ(s.tr.base, sabi::kTssAddr);
  EXPECT_EQ(s.gdt.base, sabi::kGdtAddr);
  EXPECT_EQ(s.idt.base, sabi::kIdtAddr);
  EXPECT_EQ(s.idt.limit, 256 * 16 - 1);
  EXPECT_EQ(s.cr3, 0x10000u);
  EXPECT_EQ(s.cr0, 0x80010033u);  // PE MP ET NE WP PG
  EXPECT_EQ(s.cr4, (1u << 5) | (1u << 9) | (1u << 10) | (1u << 16) | (1u << 18));
  EXPECT_EQ(s.efer, 0xd01u);  // SCE LME LMA NXE
  EXPECT_EQ(make_entry_sregs(kvm_sregs{}, 0x10000, false).cr4 & (1u << 18), 0u);
}

TEST(EntryState, Registers) {
  kvm_regs r = make_entry_regs(0x200123, sabi::kBootInfoAddr);
  EXPECT_EQ(r.rip, 0x200123u);
  EXPECT_EQ(r.rdi, sabi::kBootInfoAddr);
  EXPECT_EQ(r.rsp, 0u);
  EXPECT_EQ(r.rflags, 0x3002u);
  EXPECT_EQ(r.rax | r.rbx | r.rcx | r.rdx | r.rsi | r.rbp | r.r8 | r.r15, 0u);
}

TEST(EntryState, SyscallMsrs) {
  auto msrs = make_syscall_msrs(sabi::kRing0CodeAddr + kLstarStubOffset);
  std::map<uint32_t, uint64_t> m(msrs.begin(), msrs.end());
  EXPECT_EQ(m.at(0xc0000081), 0x0010000800000000ull);  // STAR
  EXPECT_EQ(m.at(0xc0000082), sabi::kRing0CodeAddr + kLstarStubOffset);
  uint64_t sfmask = m.at(0xc0000084);
  EXPECT_TRUE(sfmask & (1u << 9));   // IF
  EXPECT_TRUE(sfmask & (1u << 10));  // DF
  EXPECT_TRUE(sfmask & (1u << 8));   // TF
  EXPECT_FALSE(sfmask & 0x3000);     // IOPL kept
}

TEST(BootInfoBlock, PacksStrings) {
  std::vector<uint8_t> buf(4 << 20, 0);
  auto mem = GuestMemory::wrap(buf.data(), buf.size());
  BootParams p;
  p.memory_size = 128 << 20;
  p.image_end = 0x500000;
  p.argv = {"prog", "a"};
  p.env = {"K=V"};
  p.exe_path = "/x/prog.shoal";
  p.random[0] = 9;
  auto info = write_boot_info(mem, p);
  ASSERT_TRUE(info.ok()) << info.error().message;
  auto back = mem.read<sabi::BootInfo>(sabi::kBootInfoAddr).value();
  EXPECT_EQ(back.magic, sabi::kBootInfoMagic);
  EXPECT_EQ(back.abi_version, sabi::kAbiVersion);
  EXPECT_EQ(back.argc, 2u);
  EXPECT_EQ(back.envc, 1u);
  EXPECT_EQ(back.args_addr, sabi::kArgsAddr);
  EXPECT_EQ(back.stack_top, 128u << 20);
  EXPECT_EQ(back.stack_size, sabi::kMainStackSize);
  EXPECT_EQ(back.random[0], 9);
  const char want[] = "prog\0a\0K=V\0/x/prog.shoal";
  ASSERT_EQ(back.args_size, sizeof want);
  EXPECT_EQ(memcmp(buf.data() + sabi::kArgsAddr, want, sizeof want), 0);
  ASSERT_TRUE(set_boot_realtime(mem, 777).ok());
  EXPECT_EQ(mem.read<sabi::BootInfo>(sabi::kBootInfoAddr)->realtime_ns, 777u);
}

TEST(BootInfoBlock, TooLargeIsAClearError) {
  std::vector<uint8_t> buf(4 << 20, 0);
  auto mem = GuestMemory::wrap(buf.data(), buf.size());
  BootParams p;
  p.argv = {std::string(sabi::kArgsEnd - sabi::kArgsAddr, 'x')};
  auto info = write_boot_info(mem, p);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message.find("argument area"), std::string::npos);
}

}  // namespace
