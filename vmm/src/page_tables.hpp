// The guest's page tables: an identity map of [0, memory_size) whose
// permissions follow the image's sections (boot set-up).
//
// plan_address_space() decides what each byte of guest memory may be used for;
// build_page_tables() writes 4-level tables for that plan into guest memory at
// kPageTableAddr, using 2 MiB pages wherever a whole 2 MiB region has one
// permission and 4 KiB pages where it changes, which keeps page-table memory
// (and so the instance's RSS) small. Both are pure functions of their inputs.
#pragma once

#include <stdint.h>

#include <vector>

#include <shoal/base/result.hpp>

#include "guest_memory.hpp"

namespace shoal::vmm {

struct PagePerm {
  bool present = false;
  bool user = false;
  bool write = false;
  bool exec = false;
  bool operator==(const PagePerm&) const = default;
};

inline constexpr PagePerm kAbsent{};
inline constexpr PagePerm kUserRwx{true, true, true, true};

// [start, end) with one permission; in a plan, later ranges override earlier ones.
struct PageRange {
  uint64_t start = 0;
  uint64_t end = 0;
  PagePerm perm;
};

// A loaded section as the page tables see it (abi::SectionFlags in flags).
struct LoadedRange {
  uint64_t addr = 0;
  uint64_t size = 0;
  uint32_t flags = 0;
};

// The permission a section's flags ask for: R → user RO+NX, R+X → user RO exec,
// R+W → user RW+NX, R+W+X → user RW exec; without R the range is absent.
PagePerm perm_for_section_flags(uint32_t flags);

// The whole guest address space: page 0 absent, the monitor area supervisor-
// only except BootInfo and the argument strings (user read-only), each section
// with its own permissions, the stack guard absent, the rest user RW exec
// (the heap: programs may JIT; the LibOS enforces mprotect there by editing
// the identity map's page directories, which are user RW, as are the
// window's PDPT; the other page tables after the PDPT are user read-only).
std::vector<PageRange> plan_address_space(uint64_t memory_size, const std::vector<LoadedRange>& sections);

// The permission the plan gives to the 4 KiB page at addr.
PagePerm perm_at(const std::vector<PageRange>& plan, uint64_t addr);

// A device's region outside guest memory (devices/device_module.hpp), mapped
// user read-write and never executable at guest_addr: a 1 GiB-aligned address
// of its own PDPT entry above the largest guest memory, below 512 GiB. Its
// size is checked against max_size (a page multiple up to it, or exactly it
// when exact); `name` words the error ("channel region size ...").
struct DeviceRegion {
  const char* name = "";
  uint64_t guest_addr = 0;
  uint64_t size = 0;
  uint64_t max_size = 0;
  bool exact = false;
  // The region is meant to be shared by the processes of a family (the
  // family region: MAP_SHARED memory a forked monitor keeps): unlike the
  // channel's or the network device's, it is no reason to refuse a fork.
  bool shared_by_family = false;
};

struct PageTableStats {
  uint64_t cr3 = 0;
  uint32_t table_pages = 0;   // page-table pages used
  uint32_t large_pages = 0;   // 2 MiB leaves
  uint32_t small_pages = 0;   // 4 KiB leaves
};

// Writes the tables into [kPageTableAddr, kPageTableEnd) of mem. memory_size
// must be a multiple of 2 MiB and at most abi::kMaxMemory. Each of `devices`
// is mapped too, in order (the channel region of abi/channel.h, the network
// device's of abi/netdev.h, ...): the devices contribute them, the tables
// know nothing of any one device.
Result<PageTableStats> build_page_tables(const GuestMemory& mem, uint64_t memory_size,
                                         const std::vector<PageRange>& plan,
                                         const std::vector<DeviceRegion>& devices = {});

// x86-64 page-table entry bits used here.
namespace pte {
inline constexpr uint64_t kPresent = 1ull << 0;
inline constexpr uint64_t kWrite = 1ull << 1;
inline constexpr uint64_t kUser = 1ull << 2;
inline constexpr uint64_t kLarge = 1ull << 7;
inline constexpr uint64_t kNoExec = 1ull << 63;
inline constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;
}  // namespace pte

}  // namespace shoal::vmm
