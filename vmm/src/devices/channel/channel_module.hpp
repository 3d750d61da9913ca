// The shared-memory channel to shoald (`--channel MEMFD,TO_HOST_FD,TO_GUEST_FD`,
// abi/channel.h): the region at kChannelAddr, the kick port's ioeventfd, and
// the wake eventfd that `block` polls. ChannelRegion (channel_region.hpp)
// does the work; this module plugs it into the monitor's set-up.
#pragma once

#include <memory>
#include <optional>

#include "devices/device_module.hpp"
#include "options.hpp"

namespace shoal::vmm {

// No channel when fds is empty: the module then does nothing.
std::unique_ptr<DeviceModule> make_channel_module(const std::optional<ChannelFds>& fds);

}  // namespace shoal::vmm
