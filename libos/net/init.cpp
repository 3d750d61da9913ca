#include "net/init.hpp"

#include "net/channel.hpp"
#include "net/etc_files.hpp"
#include "netdev/netdev.hpp"

namespace libos::net {

void net_init(const shoal::abi::BootInfo& boot) {
  channel_init(boot);
  netdev::init(boot);
  // Only an instance of a pool has services to name; without a channel the
  // image's own /etc is left exactly as it is (the conformance suite lists it).
  if (channel_present()) etc_files_init();
}

}  // namespace libos::net
