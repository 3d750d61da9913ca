// WarmPool: monitors started on a service's snapshot and waiting
// (`shoal-vmm --start-on-fd N FILE.snap`): the VM, its vCPU and memory
// mapped, the jail and seccomp in place, the instance's channel created. A
// start takes one and writes a byte to its pipe, so it pays only the
// per-instance re-binding and KVM_RUN; the supervisor refills the set after,
// off the request's path.
//
// A warm monitor is not an instance: it is in no balancer and in `shoal ps`
// only as a count. One that dies while waiting (the snapshot does not
// resume, a kill from outside) is reported to the owner with its status and
// its last stderr line.
//
// Everything runs on the event loop's thread.
#pragma once

#include <stdint.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "event_loop.hpp"
#include "log_ring.hpp"
#include "monitor_process.hpp"
#include "monitor_watch.hpp"
#include "pool/channel/channel.hpp"

namespace shoal::pool {

struct WarmMonitor {
  MonitorProcess process;
  std::unique_ptr<Channel> channel;
  int start_fd = -1;  // write end of the start pipe: a byte (or closing it) lets it run
  LogRing log;        // what it printed while waiting (handed to the instance)
  uint64_t spawned_ns = 0;
  bool started = false;  // told to run already (warm-up): the guest is resumed
  bool warmed = false;   // it answered its warm-up request

  WarmMonitor() = default;
  WarmMonitor(WarmMonitor&&) noexcept = default;
  WarmMonitor& operator=(WarmMonitor&&) noexcept = default;
};

class WarmPool {
 public:
  // A warm monitor of `service` ended while waiting; `how` is its exit
  // status and the last line of its stderr.
  using DeathListener = std::function<void(uint32_t service, const std::string& how)>;

  WarmPool(EventLoop& loop, MonitorWatch& watch, DeathListener on_death);
  ~WarmPool();  // kills and reaps every waiting monitor
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;

  // Watches `m` (exit, output) until it is taken. With a `warm_up` path the
  // monitor is told to run at once and, once its guest listens on `port`,
  // sent `GET warm_up` over its channel (its answer read and dropped), so
  // the pages of the request path are touched before a request comes.
  void add(uint32_t service, WarmMonitor m, const std::string& warm_up = "", uint16_t port = 0);
  size_t count(uint32_t service) const;
  size_t total() const;
  // The oldest warm monitor of `service`, its start pipe still closed and
  // forgotten by the watch (the caller watches its pid now).
  std::optional<WarmMonitor> take(uint32_t service);
  // Tells a taken monitor to run. Errors: the pipe write failed (it died).
  static Result<void> start(WarmMonitor& m);
  // Kills and reaps every warm monitor of `service` (its snapshot changed,
  // the pool stops).
  void clear(uint32_t service);
  void clear_all();

 private:
  struct Entry {
    WarmMonitor m;
    uint64_t serial = 0;
    // The warm-up request, polled on a timer (the channel is not the hub's
    // until the monitor is taken).
    std::string warm_up;
    uint16_t port = 0;
    uint32_t slot = UINT32_MAX;
    uint64_t deadline_ns = 0;
    EventLoop::TimerId timer = 0;
  };
  void warm_up_step(Entry& e);
  void end_warm_up(Entry& e, bool ok);
  void watch(uint32_t service, Entry& e);
  void unwatch(Entry& e);
  void on_exit(uint32_t service, uint64_t serial, int status);
  void destroy(WarmMonitor& m, bool kill_it);

  EventLoop& m_loop;
  MonitorWatch& m_watch;
  DeathListener m_on_death;
  uint64_t m_next_serial = 1;
  std::map<uint32_t, std::deque<std::unique_ptr<Entry>>> m_warm;
};

// Spawns a warm monitor: `launch` (whose argv already holds everything but
// the start descriptor and the snapshot) gets `--start-on-fd N FILE`.
Result<WarmMonitor> spawn_warm_monitor(MonitorLaunch launch, const std::string& snapshot, Channel channel);

}  // namespace shoal::pool
