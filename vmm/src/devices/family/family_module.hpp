// The family region (abi/layout.h kFamilyAddr): memory every process of an
// instance family shares, where the LibOS keeps System V shared memory,
// semaphores, message queues and POSIX shared memory (docs/architecture.md,
// "Memory a process family shares").
//
// The monitor creates a memfd of --shm-size bytes (default 64 MiB, 0: none)
// and maps it MAP_SHARED | MAP_NORESERVE at open(): nothing is allocated
// until the guest touches a page. The page tables map the region from boot
// (regions()), but its KVM memory slot is installed only on the guest's
// first `family` hypercall: an instance that never uses IPC pays no slot.
// A forked monitor inherits the MAP_SHARED mapping, so parent and child see
// the same pages; the child's new VM needs the slot again, which the fork
// path's Vm::recreate_after_fork gives it (it re-installs every slot
// map_region installed, this one included once the guest asked for it, at
// the same VM descriptor number this module's seccomp rule names). The
// monitor never reads the contents.
#pragma once

#include <memory>
#include <string>

#include "devices/device_module.hpp"

namespace shoal::vmm {

// KVM memory slot of the family region (channel 1, net 2).
inline constexpr uint32_t kFamilyMemorySlot = 3;

class FamilyModule final : public DeviceModule {
 public:
  ~FamilyModule() override;
  const char* name() const override { return "family"; }
  void add_options(CLI::App& app) override;
  std::optional<std::string> finish_options() override;
  Result<void> open(DeviceSetup& setup) override;
  std::vector<DeviceRegion> regions() const override;
  Result<std::string> attach(Vm& vm) override;
  void fill_boot_info(abi::BootInfo& info) const override;
  std::vector<HypercallRoute> hypercalls() const override;
  std::vector<SeccompRule> seccomp_rules(int block_wake_fd) const override;
  std::vector<SeccompCase> seccomp_cases() const override;
  std::string stop() override;

  // The `family` hypercall's work: installs the slot once. 0 or -errno.
  int64_t install();

  uint64_t size() const { return m_size; }
  bool installed() const { return m_installed; }

 private:
  std::string m_text;        // --shm-size as given
  uint64_t m_size = 0;       // bytes, a 2 MiB multiple; 0: no region
  void* m_base = nullptr;    // the MAP_SHARED mapping of the memfd
  Vm* m_vm = nullptr;        // set by attach()
  int m_vm_fd = -1;          // for the seccomp rule of the lazy install
  bool m_installed = false;
};

std::unique_ptr<FamilyModule> make_family_module();

// The module of this monitor process, or nullptr before it was opened (the
// hypercall table holds plain function pointers; there is one per process).
FamilyModule* family_module();

// Parses --shm-size: K/M/G suffixes, 0 allowed, rounded up to 2 MiB, at most
// abi::kMaxFamilySize. Pure.
Result<uint64_t> parse_shm_size(const std::string& text);

}  // namespace shoal::vmm
