// The page-table builder: walk the tables it writes into a plain buffer.
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/channel.h>
#include <shoal/abi/image.h>
#include <shoal/abi/layout.h>
#include <shoal/abi/netdev.h>

#include "page_tables.hpp"

using namespace shoal;
using namespace shoal::vmm;
namespace sabi = shoal::abi;

namespace {

struct Walk {
  bool present = false;
  bool user = false;
  bool write = false;
  bool exec = false;
  bool large = false;
};

// A software page walk (4 levels), combining permissions as the MMU does.
Walk walk(const GuestMemory& mem, uint64_t cr3, uint64_t addr) {
  Walk w{true, true, true, true, false};
  uint64_t table = cr3;
  for (int level = 3; level >= 0; --level) {
    uint64_t index = (addr >> (12 + 9 * level)) & 511;
    auto e = mem.read<uint64_t>(table + index * 8);
    if (!e || !(e.value() & pte::kPresent)) return Walk{};
    uint64_t v = e.value();
    w.user &= (v & pte::kUser) != 0;
    w.write &= (v & pte::kWrite) != 0;
    w.exec &= (v & pte::kNoExec) == 0;
    if (level == 1 && (v & pte::kLarge)) {
      EXPECT_EQ(v & pte::kAddrMask & ~(sabi::kLargePageSize - 1), addr & ~(sabi::kLargePageSize - 1));
      w.large = true;
      return w;
    }
    if (level == 0) {
      EXPECT_EQ(v & pte::kAddrMask, addr & ~(sabi::kPageSize - 1)) << std::hex << addr;
    }
    table = v & pte::kAddrMask;
  }
  return w;
}

class PageTables : public ::testing::Test {
 protected:
  static constexpr uint64_t kMem = 32ull << 20;
  std::vector<uint8_t> buf = std::vector<uint8_t>(kMem, 0);
  GuestMemory mem = GuestMemory::wrap(buf.data(), kMem);
  std::vector<LoadedRange> sections = {
      {0x200000, 0x3000, sabi::kSectionRead | sabi::kSectionExec},   // LibOS text
      {0x203000, 0x1000, sabi::kSectionRead},                        // LibOS rodata
      {0x204000, 0x2000, sabi::kSectionRead | sabi::kSectionWrite},  // LibOS data
      {0x400000, 0x5000, sabi::kSectionRead | sabi::kSectionExec},   // app text
      {0x405000, 0x3000, sabi::kSectionRead | sabi::kSectionWrite},  // app data + bss
  };
  PageTableStats stats;

  void SetUp() override {
    auto r = build_page_tables(mem, kMem, plan_address_space(kMem, sections));
    ASSERT_TRUE(r.ok()) << r.error().message;
    stats = r.value();
  }
  Walk at(uint64_t addr) { return walk(mem, stats.cr3, addr); }
};

TEST_F(PageTables, PageZeroIsAbsent) {
  EXPECT_FALSE(at(0).present);
  EXPECT_FALSE(at(0xfff).present);
}

TEST_F(PageTables, MonitorAreaIsSupervisorOnly) {
  for (uint64_t a : {sabi::kGdtAddr, sabi::kIdtAddr, sabi::kTssAddr, sabi::kRing0StackBottom, sabi::kPageTableAddr,
                     sabi::kPageTableAddr + sabi::kPageSize}) {
    Walk w = at(a);
    EXPECT_TRUE(w.present) << std::hex << a;
    EXPECT_FALSE(w.user) << std::hex << a;
    EXPECT_FALSE(w.exec) << std::hex << a;
  }
}

// The LibOS splits 2 MiB regions of the heap area for mprotect: the identity
// map's page directories sit at kIdentityPdAddr, one per GiB, user writable;
// the tables after them are readable (to copy) but not writable; none runs.
TEST_F(PageTables, IdentityDirectoriesAreUserWritable) {
  for (uint64_t gib = 0; gib * (1ull << 30) < kMem; ++gib) {
    Walk w = at(sabi::kIdentityPdAddr + gib * sabi::kPageSize);
    EXPECT_TRUE(w.present && w.user && w.write) << gib;
    EXPECT_FALSE(w.exec);
    auto pdpte = mem.read<uint64_t>((stats.cr3 + sabi::kPageSize) + gib * 8);
    ASSERT_TRUE(pdpte.ok());
    EXPECT_EQ(pdpte.value() & pte::kAddrMask, sabi::kIdentityPdAddr + gib * sabi::kPageSize);
  }
  Walk after = at(sabi::kWindowPdptAddr - 8);
  EXPECT_TRUE(after.present && after.user);
  EXPECT_FALSE(after.write || after.exec);
  // The entry for a heap address is where the LibOS computes it.
  uint64_t heap = kMem / 2;
  auto pde = mem.read<uint64_t>(sabi::kIdentityPdAddr + (heap >> 21) * 8);
  ASSERT_TRUE(pde.ok());
  EXPECT_EQ(pde.value() & pte::kAddrMask & ~(sabi::kLargePageSize - 1), heap & ~(sabi::kLargePageSize - 1));
}

// The LibOS writes the reservation window's tables from ring 3; PML4[1] links
// them, and a window address is absent until the LibOS commits it.
TEST_F(PageTables, WindowPdptIsUserWritableAndLinked) {
  Walk w = at(sabi::kWindowPdptAddr);
  EXPECT_TRUE(w.present && w.user && w.write);
  EXPECT_FALSE(w.exec);
  auto pml4e = mem.read<uint64_t>(stats.cr3 + 8);
  ASSERT_TRUE(pml4e.ok());
  EXPECT_EQ(pml4e.value() & pte::kAddrMask, sabi::kWindowPdptAddr);
  EXPECT_FALSE(at(sabi::kWindowBase).present);
  EXPECT_FALSE(at(sabi::kWindowBase + (3ull << 30)).present);
}

TEST_F(PageTables, Ring0CodeIsReadExecuteOnly) {
  Walk w = at(sabi::kRing0CodeAddr);
  EXPECT_TRUE(w.present);
  EXPECT_FALSE(w.write);
  EXPECT_TRUE(w.exec);
}

TEST_F(PageTables, BootInfoAndArgsAreUserReadOnly) {
  for (uint64_t a : {sabi::kBootInfoAddr, sabi::kArgsAddr, sabi::kArgsEnd - 1}) {
    Walk w = at(a);
    EXPECT_TRUE(w.present && w.user) << std::hex << a;
    EXPECT_FALSE(w.write) << std::hex << a;
    EXPECT_FALSE(w.exec) << std::hex << a;
  }
}

TEST_F(PageTables, SectionsGetTheirPermissions) {
  Walk text = at(0x201000), rodata = at(0x203000), data = at(0x205fff), app = at(0x404000), bss = at(0x407000);
  EXPECT_TRUE(text.user && !text.write && text.exec);
  EXPECT_TRUE(rodata.user && !rodata.write && !rodata.exec);
  EXPECT_TRUE(data.user && data.write && !data.exec);
  EXPECT_TRUE(app.user && !app.write && app.exec);
  EXPECT_TRUE(bss.user && bss.write && !bss.exec);
  EXPECT_FALSE(text.large);
}

TEST_F(PageTables, HeapAndStackAreUserRwx) {
  for (uint64_t a : {uint64_t{0x408000}, uint64_t{0x600000}, kMem - sabi::kMainStackSize, kMem - 8}) {
    Walk w = at(a);
    EXPECT_TRUE(w.present && w.user && w.write && w.exec) << std::hex << a;
  }
  EXPECT_TRUE(at(0x600000).large);
}

TEST_F(PageTables, StackGuardIsAbsent) {
  uint64_t guard_end = kMem - sabi::kMainStackSize;
  EXPECT_FALSE(at(guard_end - 1).present);
  EXPECT_FALSE(at(guard_end - sabi::kStackGuardSize).present);
  EXPECT_TRUE(at(guard_end - sabi::kStackGuardSize - 1).present);
  EXPECT_TRUE(at(guard_end).present);
}

TEST_F(PageTables, BeyondMemoryIsAbsent) {
  EXPECT_FALSE(at(kMem).present);
  EXPECT_FALSE(at(1ull << 40).present);
}

TEST_F(PageTables, UsesLargePagesWhereUniform) {
  // 16 regions of 2 MiB: 4 mixed (0, LibOS, app, the guard's) use 4 KiB pages.
  EXPECT_EQ(stats.large_pages, 12u);
  EXPECT_EQ(stats.table_pages, 3u + 4u);
}

TEST(PageTablesLimits, LargestMemoryFits) {
  auto mem = GuestMemory::create(sabi::kMaxMemory);
  ASSERT_TRUE(mem.ok());
  auto r = build_page_tables(mem.value(), sabi::kMaxMemory, plan_address_space(sabi::kMaxMemory, {}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_LE(r->table_pages, (sabi::kPageTableEnd - sabi::kPageTableAddr) / sabi::kPageSize);
}

TEST(PageTablesLimits, RejectsOddSizes) {
  std::vector<uint8_t> buf(32 << 20);
  auto mem = GuestMemory::wrap(buf.data(), buf.size());
  EXPECT_FALSE(build_page_tables(mem, (16 << 20) + 4096, {}).ok());
  EXPECT_FALSE(build_page_tables(mem, 0, {}).ok());
}

TEST(PageTablesLimits, TooManyMixedRegionsIsAnError) {
  // A section boundary in each of 300 regions needs more table pages than exist.
  constexpr uint64_t kMem = 1ull << 30;
  auto mem = GuestMemory::create(kMem);
  ASSERT_TRUE(mem.ok());
  std::vector<LoadedRange> many;
  for (uint64_t i = 0; i < 300; ++i) many.push_back({0x400000 + i * sabi::kLargePageSize, 0x1000, sabi::kSectionRead});
  auto r = build_page_tables(mem.value(), kMem, plan_address_space(kMem, many));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("page tables need more"), std::string::npos);
}

// The regions the channel and network modules contribute (devices/*/).
DeviceRegion channel_region(uint64_t size) {
  return {"channel", sabi::kChannelAddr, size, sabi::kMaxChannelRegionSize, false};
}
DeviceRegion net_region(uint64_t size) { return {"network", sabi::kNetAddr, size, sabi::kNetRegionSize, true}; }

TEST(PageTablesChannel, RegionIsUserReadWriteNeverExecutable) {
  constexpr uint64_t kMem = 32ull << 20;
  std::vector<uint8_t> buf(kMem);
  auto mem = GuestMemory::wrap(buf.data(), kMem);
  // 5 MiB + 12 KiB: two large pages, then 4 KiB pages for the tail.
  constexpr uint64_t kSize = (5ull << 20) + 3 * sabi::kPageSize;
  auto r = build_page_tables(mem, kMem, plan_address_space(kMem, {}), {channel_region(kSize)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (uint64_t off : std::vector<uint64_t>{0, 0x1000, (2ull << 20) + 8, 4ull << 20, 5ull << 20,
                                            kSize - sabi::kPageSize, kSize - 1}) {
    Walk w = walk(mem, r->cr3, sabi::kChannelAddr + off);
    EXPECT_TRUE(w.present && w.user && w.write) << std::hex << off;
    EXPECT_FALSE(w.exec) << std::hex << off;
  }
  EXPECT_TRUE(walk(mem, r->cr3, sabi::kChannelAddr).large);
  EXPECT_FALSE(walk(mem, r->cr3, sabi::kChannelAddr + (4ull << 20)).large);
  EXPECT_FALSE(walk(mem, r->cr3, sabi::kChannelAddr + kSize).present);
  EXPECT_FALSE(walk(mem, r->cr3, sabi::kChannelAddr - 1).present);
  EXPECT_FALSE(walk(mem, r->cr3, sabi::kChannelAddr + (1ull << 30)).present);
  // Guest memory is unchanged by the extra mapping.
  EXPECT_FALSE(walk(mem, r->cr3, 0).present);
  EXPECT_TRUE(walk(mem, r->cr3, 0x600000).exec);
}

TEST(PageTablesChannel, NoChannelNoMapping) {
  constexpr uint64_t kMem = 16ull << 20;
  std::vector<uint8_t> buf(kMem);
  auto mem = GuestMemory::wrap(buf.data(), kMem);
  auto r = build_page_tables(mem, kMem, plan_address_space(kMem, {}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(walk(mem, r->cr3, sabi::kChannelAddr).present);
}

TEST(PageTablesChannel, LargestMemoryAndLargestRegionFit) {
  auto mem = GuestMemory::create(sabi::kMaxMemory);
  ASSERT_TRUE(mem.ok());
  auto r = build_page_tables(mem.value(), sabi::kMaxMemory, plan_address_space(sabi::kMaxMemory, {}),
                             {channel_region(sabi::kMaxChannelRegionSize)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(walk(mem.value(), r->cr3, sabi::kChannelAddr + sabi::kMaxChannelRegionSize - 1).write);
  EXPECT_TRUE(walk(mem.value(), r->cr3, sabi::kMaxMemory - 1).present);
}

TEST(PageTablesChannel, RejectsBadRegionSizes) {
  constexpr uint64_t kMem = 16ull << 20;
  std::vector<uint8_t> buf(kMem);
  auto mem = GuestMemory::wrap(buf.data(), kMem);
  EXPECT_FALSE(build_page_tables(mem, kMem, plan_address_space(kMem, {}), {channel_region(100)}).ok());
  EXPECT_FALSE(build_page_tables(mem, kMem, plan_address_space(kMem, {}),
                                 {channel_region(sabi::kMaxChannelRegionSize + 4096)})
                   .ok());
}

TEST(PageTablesNet, RegionIsUserReadWriteNeverExecutable) {
  constexpr uint64_t kMem = 32ull << 20;
  std::vector<uint8_t> buf(kMem);
  auto mem = GuestMemory::wrap(buf.data(), kMem);
  constexpr uint64_t kChan = 3 * sabi::kPageSize;
  auto r = build_page_tables(mem, kMem, plan_address_space(kMem, {}),
                             {channel_region(kChan), net_region(sabi::kNetRegionSize)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (uint64_t off : std::vector<uint64_t>{0, sabi::kNetRxOffset, sabi::kNetTxOffset, sabi::kNetRegionSize - 1,
                                            2ull << 20}) {
    Walk w = walk(mem, r->cr3, sabi::kNetAddr + off);
    EXPECT_TRUE(w.present && w.user && w.write) << std::hex << off;
    EXPECT_FALSE(w.exec) << std::hex << off;
  }
  EXPECT_TRUE(walk(mem, r->cr3, sabi::kNetAddr).large);
  EXPECT_FALSE(walk(mem, r->cr3, sabi::kNetAddr + sabi::kNetRegionSize).present);
  EXPECT_FALSE(walk(mem, r->cr3, sabi::kNetAddr - 1).present);
  // The channel keeps its own mapping next to it.
  EXPECT_TRUE(walk(mem, r->cr3, sabi::kChannelAddr + kChan - 1).write);
  EXPECT_FALSE(walk(mem, r->cr3, sabi::kChannelAddr + kChan).present);
  // Without a device, nothing there.
  auto none = build_page_tables(mem, kMem, plan_address_space(kMem, {}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(walk(mem, none->cr3, sabi::kNetAddr).present);
  EXPECT_FALSE(build_page_tables(mem, kMem, plan_address_space(kMem, {}), {net_region(sabi::kNetRegionSize - 4096)}).ok());
}

TEST(SectionFlags, Mapping) {
  EXPECT_EQ(perm_for_section_flags(sabi::kSectionRead), (PagePerm{true, true, false, false}));
  EXPECT_EQ(perm_for_section_flags(sabi::kSectionRead | sabi::kSectionExec), (PagePerm{true, true, false, true}));
  EXPECT_EQ(perm_for_section_flags(sabi::kSectionRead | sabi::kSectionWrite), (PagePerm{true, true, true, false}));
  EXPECT_EQ(perm_for_section_flags(0), kAbsent);
}

}  // namespace
