// Start-up of the network component (called by fs_init once the root file
// system and its mounts exist): the channel, the network device and its
// stack (netdev::init), then the /etc files that name the pool's services.
#pragma once

#include <shoal/abi/boot.h>

namespace libos::net {

void net_init(const shoal::abi::BootInfo& boot);

}  // namespace libos::net
