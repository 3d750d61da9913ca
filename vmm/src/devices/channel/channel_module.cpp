#include "devices/channel/channel_module.hpp"

#include <shoal/abi/channel.h>
#include <shoal/abi/layout.h>

#include "devices/channel/channel_region.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

// The region lives in the same PDPT as guest memory (below 512 GiB), in a
// 1 GiB entry of its own above the largest guest memory.
static_assert(kChannelAddr % (1ull << 30) == 0 && kChannelAddr >= kMaxMemory && kChannelAddr < (1ull << 39));
static_assert(kMaxChannelRegionSize <= (1ull << 30));

class ChannelModule final : public DeviceModule {
 public:
  explicit ChannelModule(std::optional<ChannelFds> fds) : m_fds(fds) {}

  const char* name() const override { return "channel"; }

  Result<void> open(DeviceSetup& setup) override {
    if (!m_fds) return {};
    m_region.emplace(TRY(ChannelRegion::open(*m_fds)));
    // shoald writes TO_GUEST_FD to end the guest's `block`.
    setup.wake_fd = m_region->wake_fd();
    return {};
  }

  std::vector<DeviceRegion> regions() const override {
    if (!m_region) return {};
    return {{"channel", kChannelAddr, m_region->size(), kMaxChannelRegionSize, false}};
  }

  Result<std::string> attach(Vm& vm) override {
    if (!m_region) return std::string();
    TRY(m_region->attach(vm));
    return "channel: " + describe_bytes(m_region->size()) + " at " + hex(kChannelAddr) + ", kick port " +
           hex(kChannelKickPort);
  }

  void fill_boot_info(BootInfo& info) const override {
    if (!m_region) return;
    info.channel_addr = kChannelAddr;
    info.channel_size = m_region->size();
  }

  // None: the region is mapped before the filter, the guest's kicks are
  // handled by KVM in the kernel, and the wake descriptor's rules are the
  // core's (`block`, seccomp_policy.cpp).

 private:
  std::optional<ChannelFds> m_fds;
  std::optional<ChannelRegion> m_region;
};

}  // namespace

std::unique_ptr<DeviceModule> make_channel_module(const std::optional<ChannelFds>& fds) {
  return std::make_unique<ChannelModule>(fds);
}

}  // namespace shoal::vmm
