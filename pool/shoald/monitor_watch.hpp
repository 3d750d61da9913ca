// MonitorWatch: the exits and the console output of every monitor shoald
// started, through a constant number of descriptors instead of three per
// monitor (a pidfd and two pipes), so that 10,000 instances fit in shoald's
// RLIMIT_NOFILE (issue 13, docs/architecture.md "Descriptors").
//
// Exits: SIGCHLD through a signalfd, then waitid(P_ALL) until no child is
// left to reap. A pid is signalled only while it is a child not yet reaped
// (signal()): until shoald reaps it, the kernel cannot give its number to
// another process, so no pidfd is needed to kill the right one. Nothing else
// in shoald may reap a monitor (kill_and_reap() is the synchronous way).
//
// Output: every monitor's stdout is the same AF_UNIX stream socket (and its
// stderr another), whose reading end shoald holds with SO_PASSCRED. The
// kernel stamps every chunk with the writer's pid and never returns bytes of
// two writers in one read, so the output is told apart by pid with no
// framing in the monitor and nothing a guest could forge; lines of two
// instances cannot mix (each instance's LogRing assembles its own). The
// stamp reads as pid 0 once the writer is reaped, so a monitor's remaining
// output is read before it is reaped: exits are first seen with WNOWAIT.
//
// Everything runs on the EventLoop's thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string_view>
#include <unordered_map>

#include "event_loop.hpp"
#include "log_ring.hpp"
#include "shoal/base/result.hpp"

namespace shoal::pool {

class MonitorWatch {
 public:
  using OutputFn = std::function<void(LogStream stream, std::string_view bytes)>;
  using ExitFn = std::function<void(int wait_status)>;

  explicit MonitorWatch(EventLoop& loop) : m_loop(loop) {}
  ~MonitorWatch();
  MonitorWatch(const MonitorWatch&) = delete;
  MonitorWatch& operator=(const MonitorWatch&) = delete;

  // Blocks SIGCHLD (read through the signalfd from now on), makes the two
  // console sockets and watches them. Before any monitor is spawned.
  Result<void> open();
  bool is_open() const { return m_sigfd >= 0; }

  // The writing ends a monitor gets as its stdout and stderr (dup2).
  int stdout_fd() const { return m_out[1]; }
  int stderr_fd() const { return m_err[1]; }

  // pid (a child just spawned, or one watched already: the callbacks are
  // replaced) reports to these from now on. Either may be empty: output is
  // then dropped, the exit reaped silently.
  void watch(pid_t pid, OutputFn on_output, ExitFn on_exit);
  // As watch(pid, {}, {}): nobody listens any more, but the pid stays a
  // child until it is reaped.
  void forget(pid_t pid) { watch(pid, {}, {}); }
  // Sends sig iff pid is a watched child not yet reaped (else false: its
  // number may belong to someone else by now).
  bool signal(pid_t pid, int sig) const;
  // SIGKILL, then waits for it: its last output goes to its OutputFn, its
  // ExitFn is not called. Returns the wait status (-1 if pid is not ours).
  int kill_and_reap(pid_t pid);

  size_t watched() const { return m_children.size(); }
  // Reads what the sockets hold and reaps what has exited (the SIGCHLD
  // handler; tests may call it).
  void poll();

 private:
  struct Child {
    OutputFn on_output;
    ExitFn on_exit;
  };
  // Reads one socket until it is empty, or `max_reads` reads.
  void drain(int fd, LogStream stream, int max_reads);
  void drain_all();
  // The watched child that wrote: pid itself, or an ancestor of it within
  // the monitor (a process the monitor forked writes on the same socket).
  Child* writer(pid_t pid);
  void reap();
  void arm_backstop();

  EventLoop& m_loop;
  EventLoop::TimerId m_backstop = 0;
  int m_sigfd = -1;
  int m_out[2] = {-1, -1};  // [0] shoald reads, [1] monitors write
  int m_err[2] = {-1, -1};
  std::unordered_map<pid_t, Child> m_children;
};

}  // namespace shoal::pool
