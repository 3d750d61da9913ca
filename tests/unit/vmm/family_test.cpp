// The family region's module (devices/family/): --shm-size, what it maps and
// the hypercall that installs its slot, against a fake VM.
#include <sys/mman.h>

#include <string>

#include <gtest/gtest.h>

#include <shoal/abi/layout.h>

#include "devices/family/family_module.hpp"

using namespace shoal;
using namespace shoal::vmm;
namespace sabi = shoal::abi;

namespace {

TEST(FamilyShmSize, ParsesRoundsAndBounds) {
  EXPECT_EQ(parse_shm_size("0").value(), 0u);
  EXPECT_EQ(parse_shm_size("64M").value(), 64ull << 20);
  EXPECT_EQ(parse_shm_size("1G").value(), 1ull << 30);
  // 2 MiB pieces: the page tables map the region in large pages.
  EXPECT_EQ(parse_shm_size("1").value(), 2ull << 20);
  EXPECT_EQ(parse_shm_size("3M").value(), 4ull << 20);
  EXPECT_FALSE(parse_shm_size("2G").ok());
  EXPECT_FALSE(parse_shm_size("-1").ok());
  EXPECT_FALSE(parse_shm_size("12X").ok());
  EXPECT_FALSE(parse_shm_size("").ok());
}

// Records map_region; nothing else is used by the module.
class FakeVm final : public Vm {
 public:
  Result<void> set_memory(void*, uint64_t) override { return {}; }
  Result<void> map_region(uint32_t slot, uint64_t guest_addr, void* host, uint64_t size) override {
    ++calls;
    last_slot = slot;
    last_addr = guest_addr;
    last_host = host;
    last_size = size;
    if (refuse) return make_error("refused");
    return {};
  }
  Result<void> add_pio_eventfd(uint16_t, uint32_t, int) override { return {}; }
  Result<std::unique_ptr<Vcpu>> create_vcpu() override { return make_error("no vCPU"); }
  Result<std::vector<kvm_cpuid_entry2>> supported_cpuid() override { return std::vector<kvm_cpuid_entry2>{}; }
  int vm_fd() const override { return 7; }
  int calls = 0;
  uint32_t last_slot = 0;
  uint64_t last_addr = 0;
  void* last_host = nullptr;
  uint64_t last_size = 0;
  bool refuse = false;
};

TEST(FamilyModule, InstallsTheSlotOnceOnFirstUse) {
  FamilyModule m;
  EXPECT_FALSE(m.finish_options().has_value());  // no --shm-size: the default
  EXPECT_EQ(m.size(), sabi::kDefaultFamilySize);
  DeviceSetup setup;
  ASSERT_TRUE(m.open(setup).ok());
  auto regions = m.regions();
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].guest_addr, sabi::kFamilyAddr);
  EXPECT_EQ(regions[0].size, sabi::kDefaultFamilySize);
  FakeVm vm;
  ASSERT_TRUE(m.attach(vm).ok());
  EXPECT_EQ(vm.calls, 0);  // no slot until the guest asks
  sabi::BootInfo info{};
  m.fill_boot_info(info);
  EXPECT_EQ(info.family_size, sabi::kDefaultFamilySize);
  EXPECT_EQ(m.install(), 0);
  EXPECT_EQ(m.install(), 0);
  EXPECT_EQ(vm.calls, 1);
  EXPECT_EQ(vm.last_slot, kFamilyMemorySlot);
  EXPECT_EQ(vm.last_addr, sabi::kFamilyAddr);
  EXPECT_EQ(vm.last_size, sabi::kDefaultFamilySize);
  EXPECT_TRUE(m.installed());
  // The seccomp rule for that ioctl names the VM's descriptor.
  auto rules = m.seccomp_rules(-1);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_NE(describe_seccomp_rule(rules[0]).find("a0 == 7"), std::string::npos);
}

TEST(FamilyModule, RefusedSlotIsEnomemAndNoneIsEnosys) {
  FamilyModule m;
  DeviceSetup setup;
  ASSERT_FALSE(m.finish_options().has_value());
  ASSERT_TRUE(m.open(setup).ok());
  FakeVm vm;
  vm.refuse = true;
  ASSERT_TRUE(m.attach(vm).ok());
  EXPECT_EQ(m.install(), -ENOMEM);
  EXPECT_FALSE(m.installed());

  FamilyModule none;  // --shm-size 0 (finish_options not run: size 0)
  EXPECT_EQ(none.install(), -ENOSYS);
  EXPECT_TRUE(none.regions().empty());
  EXPECT_TRUE(none.seccomp_rules(-1).empty());
}

}  // namespace
