#include "page_tables.hpp"

#include <shoal/abi/image.h>
#include <shoal/abi/layout.h>

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

constexpr PagePerm kSupervisorRw{true, false, true, false};
// NOTE: the ring-0 code page is user read+execute, not supervisor-only: on
// PVM (docs/architecture.md, "Why ring 3") the instructions after `syscall` are fetched with user
// permissions. It holds no secret, and from ring 3 its code only faults
// (`out` to the fault port is denied by the TSS bitmap, `sysretq` is privileged).
constexpr PagePerm kRing0Code{true, true, false, true};
constexpr PagePerm kUserRo{true, true, false, false};
constexpr PagePerm kUserRwNx{true, true, true, false};


uint64_t leaf_bits(PagePerm p) {
  if (!p.present) return 0;
  uint64_t bits = pte::kPresent;
  if (p.write) bits |= pte::kWrite;
  if (p.user) bits |= pte::kUser;
  if (!p.exec) bits |= pte::kNoExec;
  return bits;
}

// Hands out zeroed page-table pages from [kPageTableAddr, kPageTableEnd).
class TableAllocator {
 public:
  explicit TableAllocator(const GuestMemory& mem) : m_mem(mem) {}
  Result<uint64_t> allocate() {
    // The window's PDPT (abi/layout.h) is the area's last page.
    if (m_next >= kWindowPdptAddr) {
      return make_error("the page tables need more than the " +
                        describe_bytes(kPageTableEnd - kPageTableAddr) +
                        " reserved for them (too many sections with different permissions)");
    }
    uint64_t addr = m_next;
    m_next += kPageSize;
    auto page = TRY(m_mem.span(addr, kPageSize));
    // SAFETY: page is a checked span of one page inside guest memory.
    memset(page.data(), 0, page.size());
    ++m_count;
    return addr;
  }
  uint32_t count() const { return m_count; }

 private:
  const GuestMemory& m_mem;
  uint64_t m_next = kPageTableAddr;
  uint32_t m_count = 0;
};

// Intermediate entries allow everything; the leaves restrict.
constexpr uint64_t kTableLink = pte::kPresent | pte::kWrite | pte::kUser;

// Maps [addr, addr + size) (a shared region outside guest memory, in a 1 GiB
// PDPT entry of its own) user read-write and never executable: 2 MiB pages,
// then 4 KiB pages for the tail.
Result<void> map_region_rw_nx(TableAllocator& alloc, const GuestMemory& mem, uint64_t pdpt, uint64_t addr,
                              uint64_t size, PageTableStats& stats) {
  uint64_t pd = TRY(alloc.allocate());
  TRY(mem.write<uint64_t>(pdpt + (addr >> 30) * 8, pd | kTableLink));
  for (uint64_t off = 0; off < size; off += kLargePageSize) {
    uint64_t at = addr + off;
    uint64_t pde_addr = pd + (off >> 21) * 8;
    if (size - off >= kLargePageSize) {
      TRY(mem.write<uint64_t>(pde_addr, at | leaf_bits(kUserRwNx) | pte::kLarge));
      ++stats.large_pages;
      continue;
    }
    uint64_t pt = TRY(alloc.allocate());
    TRY(mem.write<uint64_t>(pde_addr, pt | kTableLink));
    for (uint64_t page = 0; off + page < size; page += kPageSize) {
      TRY(mem.write<uint64_t>(pt + (page >> 12) * 8, (at + page) | leaf_bits(kUserRwNx)));
      ++stats.small_pages;
    }
  }
  return {};
}

// One page directory per GiB of guest memory, allocated first after the
// PML4 and the PDPT so that they sit at kIdentityPdAddr, consecutive.
uint64_t identity_pd_count(uint64_t memory_size) { return (memory_size + (1ull << 30) - 1) >> 30; }
static_assert(kIdentityPdAddr == kPageTableAddr + 2 * kPageSize);
static_assert(kIdentityPdAddr + (kMaxMemory >> 30) * kPageSize < kWindowPdptAddr);

}  // namespace

PagePerm perm_for_section_flags(uint32_t flags) {
  if (!(flags & kSectionRead)) return kAbsent;
  return PagePerm{true, true, (flags & kSectionWrite) != 0, (flags & kSectionExec) != 0};
}

std::vector<PageRange> plan_address_space(uint64_t memory_size, const std::vector<LoadedRange>& sections) {
  std::vector<PageRange> plan;
  plan.push_back({0, memory_size, kUserRwx});
  plan.push_back({0, kLibosBase, kSupervisorRw});
  plan.push_back({kRing0CodeAddr, kRing0CodeAddr + kPageSize, kRing0Code});
  plan.push_back({kBootInfoAddr, kArgsEnd, kUserRo});
  // The LibOS reads the tables after the PML4 and PDPT (to copy one when it
  // splits a 2 MiB region of the heap area for mprotect) and writes the
  // identity map's page directories and the window's tables itself (ring 3);
  // NX, never code (abi/layout.h, kIdentityPdAddr).
  plan.push_back({kIdentityPdAddr, kWindowPdptAddr, kUserRo});
  plan.push_back({kIdentityPdAddr, kIdentityPdAddr + identity_pd_count(memory_size) * kPageSize, kUserRwNx});
  plan.push_back({kWindowPdptAddr, kWindowPdptAddr + kPageSize, kUserRwNx});
  plan.push_back({0, kPageSize, kAbsent});
  for (const auto& s : sections) plan.push_back({s.addr, s.addr + s.size, perm_for_section_flags(s.flags)});
  if (memory_size >= kMainStackSize + kStackGuardSize) {
    uint64_t guard_end = memory_size - kMainStackSize;
    plan.push_back({guard_end - kStackGuardSize, guard_end, kAbsent});
  }
  return plan;
}

PagePerm perm_at(const std::vector<PageRange>& plan, uint64_t addr) {
  for (auto it = plan.rbegin(); it != plan.rend(); ++it) {
    if (addr >= it->start && addr < it->end) return it->perm;
  }
  return kAbsent;
}

Result<PageTableStats> build_page_tables(const GuestMemory& mem, uint64_t memory_size,
                                         const std::vector<PageRange>& plan,
                                         const std::vector<DeviceRegion>& devices) {
  if (memory_size == 0 || memory_size % kLargePageSize != 0 || memory_size > kMaxMemory) {
    return make_error("guest memory size " + describe_bytes(memory_size) + " is not a multiple of 2 MiB up to " +
                      describe_bytes(kMaxMemory));
  }
  TableAllocator alloc(mem);
  PageTableStats stats;
  uint64_t pml4 = TRY(alloc.allocate());
  uint64_t pdpt = TRY(alloc.allocate());
  stats.cr3 = pml4;
  TRY(mem.write<uint64_t>(pml4, pdpt | kTableLink));
  // The reservation window: PML4[1] links its PDPT, which stays untouched
  // (zero, so free of host memory) until the LibOS commits something there.
  static_assert(kWindowBase == 1ull << 39 && kWindowSize == 1ull << 39);
  if (mem.contains(kWindowPdptAddr, kPageSize))
    TRY(mem.write<uint64_t>(pml4 + 8, kWindowPdptAddr | kTableLink));
  for (uint64_t i = 0; i < identity_pd_count(memory_size); ++i) {
    uint64_t pd = TRY(alloc.allocate());
    if (pd != kIdentityPdAddr + i * kPageSize) return make_error("page directories out of place");
    TRY(mem.write<uint64_t>(pdpt + i * 8, pd | kTableLink));
  }

  // A 2 MiB region can be one large page if no plan boundary falls inside it.
  std::vector<uint64_t> boundaries;
  for (const auto& r : plan) {
    boundaries.push_back(r.start);
    boundaries.push_back(r.end);
  }
  auto uniform = [&](uint64_t start) {
    for (uint64_t b : boundaries) {
      if (b > start && b < start + kLargePageSize) return false;
    }
    return true;
  };

  for (uint64_t region = 0; region < memory_size; region += kLargePageSize) {
    uint64_t pde_addr = kIdentityPdAddr + (region >> 21) * 8;
    if (uniform(region)) {
      PagePerm p = perm_at(plan, region);
      if (p.present) {
        TRY(mem.write<uint64_t>(pde_addr, region | leaf_bits(p) | pte::kLarge));
        ++stats.large_pages;
      }
      continue;
    }
    uint64_t pt = TRY(alloc.allocate());
    TRY(mem.write<uint64_t>(pde_addr, pt | kTableLink));
    for (uint64_t i = 0; i < 512; ++i) {
      uint64_t page = region + i * kPageSize;
      PagePerm p = perm_at(plan, page);
      if (!p.present) continue;
      TRY(mem.write<uint64_t>(pt + i * 8, page | leaf_bits(p)));
      ++stats.small_pages;
    }
  }
  for (const auto& d : devices) {
    // Each region lives in the same PDPT as guest memory (below 512 GiB), in
    // 1 GiB entries of its own above the largest guest memory.
    if (d.guest_addr % (1ull << 30) != 0 || d.guest_addr < kMaxMemory || d.guest_addr >= (1ull << 39) ||
        d.max_size > (1ull << 30))
      return make_error(std::string(d.name) + " region at " + hex(d.guest_addr) +
                        " is not in a 1 GiB entry of its own above guest memory");
    if (d.exact ? d.size != d.max_size : d.size % kPageSize != 0 || d.size > d.max_size) {
      if (d.exact)
        return make_error(std::string(d.name) + " region size " + describe_bytes(d.size) + " is not " +
                          describe_bytes(d.max_size));
      return make_error(std::string(d.name) + " region size " + describe_bytes(d.size) +
                        " is not a page multiple up to " + describe_bytes(d.max_size));
    }
    if (d.size > 0) TRY(map_region_rw_nx(alloc, mem, pdpt, d.guest_addr, d.size, stats));
  }
  stats.table_pages = alloc.count();
  return stats;
}

}  // namespace shoal::vmm
