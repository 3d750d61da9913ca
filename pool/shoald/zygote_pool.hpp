// ZygotePool: one template monitor per service whose snapshot is ready
// (`shoal-vmm --zygote-fd N FILE.snap`, vmm/src/zygote.hpp). A template has
// done everything that does not depend on the instance (exec, the file
// validated and mapped, /dev/kvm, the CPU configuration, the jail); a start
// is one message on its socket, and the template forks the instance's
// monitor, which creates its own VM over the inherited memory.
//
// The forked monitor is shoald's child (CLONE_PARENT) and comes back as a
// MonitorProcess like spawn_monitor's: its own pid, its output on the console
// sockets every monitor shares; it is watched (MonitorWatch), stopped and
// reaped as any monitor. The template itself is watched the same way. A template that
// dies is reported to the owner, which starts instances the old way
// (spawn_monitor) until a new template is up.
//
// Everything runs on the event loop's thread. A start waits for the
// template's reply (a clone: well under a millisecond), bounded by
// kReplyTimeout.
#pragma once

#include <stdint.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "log_ring.hpp"
#include "monitor_process.hpp"
#include "monitor_watch.hpp"
#include "pool/channel/channel.hpp"

namespace shoal::pool {

class ZygotePool {
 public:
  // The template of `service` ended; `how` is its exit status and the last
  // line of its stderr.
  using DeathListener = std::function<void(uint32_t service, const std::string& how)>;

  ZygotePool(EventLoop& loop, MonitorWatch& watch, DeathListener on_death);
  ~ZygotePool();  // kills and reaps every template (their instances live on)
  ZygotePool(const ZygotePool&) = delete;
  ZygotePool& operator=(const ZygotePool&) = delete;

  // Starts the template of `service` for `snapshot` (replacing one it had).
  // `vmm` is shoal-vmm's path; `options` go to the template's command line.
  Result<void> spawn(uint32_t service, const std::string& vmm, const std::string& snapshot,
                     const std::vector<std::string>& options = {});
  bool has(uint32_t service) const { return m_templates.count(service) != 0; }
  size_t count() const { return m_templates.size(); }
  pid_t pid(uint32_t service) const;

  // One monitor from the template of `service`, on `channel` (its three
  // descriptors are sent; the caller keeps its own), with the request's
  // flags (zygote_wire.hpp); start_fd >= 0 (with kFlagStartOnFd) is a warm
  // monitor's start pipe. Errors: no template, or it did not answer (then it
  // is killed and reported, and an instance it forked late is killed): the
  // caller falls back to spawn_monitor, with a new channel (this one may
  // have been handed to a child).
  Result<MonitorProcess> start(uint32_t service, const Channel& channel, uint32_t flags, int start_fd = -1);

  // Kills and reaps the template of `service` (its snapshot changed).
  void clear(uint32_t service);
  void clear_all();

 private:
  struct Template {
    MonitorProcess process;
    int sock = -1;  // shoald's end of the SOCK_SEQPACKET pair
    LogRing log;
  };
  void on_exit(uint32_t service, pid_t pid, int status);
  // The template is reaped: forgotten, and reported with `how`.
  void ended(std::map<uint32_t, Template>::iterator it, std::string how);
  void destroy(Template& t, bool kill_it);

  EventLoop& m_loop;
  MonitorWatch& m_watch;
  DeathListener m_on_death;
  std::map<uint32_t, Template> m_templates;
};

}  // namespace shoal::pool
