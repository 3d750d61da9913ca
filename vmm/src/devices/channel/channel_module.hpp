// The shared-memory channel to shoald (`--channel MEMFD,TO_HOST_FD,TO_GUEST_FD`,
// abi/channel.h): the region at kChannelAddr, the kick port's ioeventfd, and
// the wake eventfd that `block` polls. ChannelRegion (channel_region.hpp)
// does the work; this module plugs it into the monitor's set-up.
#pragma once

#include <memory>
#include <optional>

#include "devices/channel/channel_options.hpp"
#include "devices/channel/channel_region.hpp"
#include "devices/device_module.hpp"

namespace shoal::vmm {

class ChannelModule final : public DeviceModule {
 public:
  const char* name() const override { return "channel"; }
  void add_options(CLI::App& app) override;
  std::optional<std::string> finish_options() override;
  std::vector<int> inherited_fds() const override;
  Result<void> open(DeviceSetup& setup) override;
  std::vector<uint16_t> kick_ports() const override;
  std::vector<DeviceRegion> regions() const override;
  Result<std::string> attach(Vm& vm) override;
  void fill_boot_info(abi::BootInfo& info) const override;
  // No seccomp rules: the region is mapped before the filter, the guest's
  // kicks are handled by KVM in the kernel, and the wake descriptor's rules
  // are the core's (`block`, seccomp_policy.cpp). seccomp.golden records it.
  std::vector<SeccompCase> seccomp_cases() const override { return {{"with or without --channel", {}}}; }

  // --channel, once parsed; empty: no channel, and the module does nothing.
  const std::optional<ChannelFds>& fds() const { return m_fds; }

 private:
  std::string m_text;  // --channel as given
  std::optional<ChannelFds> m_fds;
  std::optional<ChannelRegion> m_region;
};

std::unique_ptr<ChannelModule> make_channel_module();

}  // namespace shoal::vmm
