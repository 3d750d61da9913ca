#include "net/init.hpp"

#include "net/channel/channel.hpp"
#include "net/channel/etc_files.hpp"
#include "net/service.hpp"
#include "netdev/netdev.hpp"
#include "sched/io_hooks.hpp"

namespace libos::net {

void net_init(const shoal::abi::BootInfo& boot) {
  // First, so that any wait from here on sees the network: the scheduler
  // polls the channel and the device while it looks for work and idles, and
  // drains the device before the exit. Each copes with an absent transport.
  sched::set_io_hooks({&service, &next_deadline, &idle_spin, &host_can_wake, &sleep_prepare,
                       &sleep_done, &netdev::drain_before_exit});
  channel_init(boot);
  netdev::init(boot);
  // Only an instance of a pool has services to name; without a channel the
  // image's own /etc is left exactly as it is (the conformance suite lists it).
  if (channel_present()) etc_files_init();
}

}  // namespace libos::net
