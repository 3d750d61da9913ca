#include "net/init.hpp"

#include "net/channel/channel.hpp"
#include "net/channel/etc_files.hpp"
#include "net/service.hpp"
#include "netdev/netdev.hpp"
#include "fs/syscalls.hpp"
#include "sched/io_hooks.hpp"

namespace libos::net {

namespace {

// As Linux's exit closes every descriptor: a TCP peer then gets its FIN (or
// RST) instead of a connection that stays open until it times out (redis's
// SHUTDOWN answers by closing: redis-cli waits for that). The device is
// drained after, so the FINs leave before the instance ends.
void close_then_drain() {
  (void)sys_close_range(0, ~0u, 0);
  netdev::drain_before_exit();
}

}  // namespace

void net_init(const shoal::abi::BootInfo& boot) {
  // First, so that any wait from here on sees the network: the scheduler
  // polls the channel and the device while it looks for work and idles, and
  // drains the device before the exit. Each copes with an absent transport.
  sched::set_io_hooks({&service, &next_deadline, &idle_spin, &host_can_wake, &sleep_prepare,
                       &sleep_done, &close_then_drain, &ready_port, &rebind});
  channel_init(boot);
  netdev::init(boot);
  // Only an instance of a pool has services to name; without a channel the
  // image's own /etc is left exactly as it is (the conformance suite lists it).
  if (channel_present()) etc_files_init();
}

}  // namespace libos::net
