// Start-up of the network component (called by boot/boot.cpp once the root
// file system and its mounts exist): the channel, the network device and its
// stack (netdev::init), then the /etc files that name the pool's services;
// and the scheduler's idle hooks (sched/io_hooks.hpp) that poll them.
#pragma once

#include <shoal/abi/boot.h>

namespace libos::net {

void net_init(const shoal::abi::BootInfo& boot);

}  // namespace libos::net
