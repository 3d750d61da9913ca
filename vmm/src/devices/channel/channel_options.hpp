// --channel's argument (abi/channel.h).
#pragma once

#include <string>

#include <shoal/base/result.hpp>

namespace shoal::vmm {

// --channel MEMFD,TO_HOST_FD,TO_GUEST_FD: descriptors inherited from shoald
// (abi/channel.h). All three are set, or none.
struct ChannelFds {
  int memfd = -1;     // the region (a sealed memfd)
  int to_host = -1;   // eventfd the guest's kick signals (KVM ioeventfd)
  int to_guest = -1;  // eventfd shoald writes to wake a blocked guest
  bool operator==(const ChannelFds&) const = default;
};

// "3,4,5" -> ChannelFds. Three distinct decimal descriptors, none of them
// stdin/stdout/stderr (the console uses those).
Result<ChannelFds> parse_channel_fds(const std::string& text);

}  // namespace shoal::vmm
