#include "devices/channel/channel_module.hpp"

#include <CLI/CLI.hpp>

#include <shoal/abi/channel.h>
#include <shoal/abi/layout.h>

namespace shoal::vmm {

using namespace shoal::abi;

// The region lives in the same PDPT as guest memory (below 512 GiB), in a
// 1 GiB entry of its own above the largest guest memory.
static_assert(kChannelAddr % (1ull << 30) == 0 && kChannelAddr >= kMaxMemory && kChannelAddr < (1ull << 39));
static_assert(kMaxChannelRegionSize <= (1ull << 30));

void ChannelModule::add_options(CLI::App& app) {
  app.add_option("--channel", m_text,
                 "MEMFD,TO_HOST_FD,TO_GUEST_FD: the shared-memory channel to shoald (inherited descriptors)");
}

std::optional<std::string> ChannelModule::finish_options() {
  if (m_text.empty()) return std::nullopt;
  auto fds = parse_channel_fds(m_text);
  if (!fds) return "--channel " + fds.error().message;
  m_fds = fds.value();
  return std::nullopt;
}

std::vector<int> ChannelModule::inherited_fds() const {
  if (!m_fds) return {};
  return {m_fds->memfd, m_fds->to_host, m_fds->to_guest};
}

Result<void> ChannelModule::open(DeviceSetup& setup) {
  if (!m_fds) return {};
  m_region.emplace(TRY(ChannelRegion::open(*m_fds)));
  // shoald writes TO_GUEST_FD to end the guest's `block`.
  setup.wake_fd = m_region->wake_fd();
  return {};
}

std::vector<uint16_t> ChannelModule::kick_ports() const { return {kChannelKickPort}; }

std::vector<DeviceRegion> ChannelModule::regions() const {
  if (!m_region) return {};
  return {{"channel", kChannelAddr, m_region->size(), kMaxChannelRegionSize, false}};
}

Result<std::string> ChannelModule::attach(Vm& vm) {
  if (!m_region) return std::string();
  TRY(m_region->attach(vm));
  return "channel: " + describe_bytes(m_region->size()) + " at " + hex(kChannelAddr) + ", kick port " +
         hex(kChannelKickPort);
}

void ChannelModule::fill_boot_info(BootInfo& info) const {
  if (!m_region) return;
  info.channel_addr = kChannelAddr;
  info.channel_size = m_region->size();
}

std::unique_ptr<ChannelModule> make_channel_module() { return std::make_unique<ChannelModule>(); }

}  // namespace shoal::vmm
