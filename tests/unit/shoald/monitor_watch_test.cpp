// MonitorWatch (exits by SIGCHLD + waitid, console output through two shared
// sockets told apart by the writer's pid) and EventLoop::add_detached (an
// eventfd watched after shoald closed its descriptor), with /bin/sh children
// standing in for monitors: no KVM needed.
#include "monitor_watch.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "log_ring.hpp"
#include "monitor_process.hpp"

namespace shoal::pool {
namespace {

struct Watched {
  LogRing log{1 << 20};
  bool exited = false;
  int status = -1;
  size_t lines_at_exit = 0;
};

struct Fixture {
  std::unique_ptr<EventLoop> loop = EventLoop::create().value();
  MonitorWatch watch{*loop};
  std::map<pid_t, std::unique_ptr<Watched>> children;

  Fixture() { EXPECT_TRUE(watch.open()); }
  ~Fixture() {
    for (auto& [pid, w] : children)
      if (!w->exited) watch.kill_and_reap(pid);
  }
  pid_t spawn_sh(const std::string& script) {
    MonitorLaunch l;
    l.program = "/bin/sh";
    l.argv = {"sh", "-c", script};
    l.stdout_fd = watch.stdout_fd();
    l.stderr_fd = watch.stderr_fd();
    auto p = spawn_monitor(l);
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    if (!p) return -1;
    pid_t pid = p->pid;
    auto w = std::make_unique<Watched>();
    Watched* wp = w.get();
    children[pid] = std::move(w);
    watch.watch(
        pid, [wp](LogStream s, std::string_view b) { wp->log.append(s, b, 0); },
        [wp](int status) {
          wp->exited = true;
          wp->status = status;
          wp->log.flush(0);
          wp->lines_at_exit = wp->log.lines().size();
        });
    return pid;
  }
  bool run_until(const std::function<bool()>& pred, int timeout_ms = 20000) {
    uint64_t deadline = EventLoop::now_ns() + static_cast<uint64_t>(timeout_ms) * 1000000;
    bool ok = false;
    std::function<void()> check = [&] {
      if (pred()) {
        ok = true;
        loop->stop();
      } else if (EventLoop::now_ns() > deadline) {
        loop->stop();
      } else {
        loop->after(1'000'000, check);
      }
    };
    loop->after(0, check);
    loop->run();
    return ok;
  }
};

// Eight children write lines in pieces (every printf is its own write), all
// at once, through the same two sockets: each one's log holds exactly its
// own lines, whole and in order, and nothing is lost.
TEST(MonitorWatch, OutputOfManyWritersIsToldApartAndNeverMixedWithinALine) {
  Fixture f;
  constexpr int kChildren = 8, kLines = 300;
  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    pids.push_back(f.spawn_sh("i=0; while [ $i -lt " + std::to_string(kLines) +
                              " ]; do printf 'child%s ' " + std::to_string(c) +
                              "; printf 'line %s ' $i; printf 'end\\n'; printf 'e%s\\n' $i >&2; i=$((i+1)); done"));
  }
  ASSERT_TRUE(f.run_until([&] {
    for (auto& [pid, w] : f.children)
      if (!w->exited) return false;
    return true;
  }));
  for (int c = 0; c < kChildren; ++c) {
    Watched& w = *f.children[pids[c]];
    EXPECT_TRUE(WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0) << w.status;
    int out = 0, err = 0;
    for (const auto& line : w.log.lines()) {
      if (line.stream == LogStream::out) {
        EXPECT_EQ(line.text, "child" + std::to_string(c) + " line " + std::to_string(out) + " end");
        ++out;
      } else {
        EXPECT_EQ(line.text, "e" + std::to_string(err));
        ++err;
      }
    }
    EXPECT_EQ(out, kLines) << "child " << c;
    EXPECT_EQ(err, kLines) << "child " << c;
  }
}

// A crash report: several lines written just before the process exits with
// 139. All of it is in the log when the exit is reported (the sockets are
// read before the child is reaped).
TEST(MonitorWatch, ALastMultiLineReportArrivesWholeBeforeTheExit) {
  Fixture f;
  std::vector<pid_t> pids;
  for (int c = 0; c < 4; ++c)
    pids.push_back(f.spawn_sh("printf 'guest crash: SIGSEGV\\n  rip 0x1234\\n  rsp 0x5678\\nbacktrace:\\n  #0 main\\n' >&2; "
                              "exit 139"));
  ASSERT_TRUE(f.run_until([&] {
    for (auto& [pid, w] : f.children)
      if (!w->exited) return false;
    return true;
  }));
  for (pid_t pid : pids) {
    Watched& w = *f.children[pid];
    EXPECT_EQ(WEXITSTATUS(w.status), 139);
    EXPECT_EQ(w.lines_at_exit, 5u);
    auto tail = w.log.tail(LogStream::err, 5);
    ASSERT_EQ(tail.size(), 5u);
    EXPECT_EQ(tail.front(), "guest crash: SIGSEGV");
    EXPECT_EQ(tail.back(), "  #0 main");
  }
}

// signal() reaches a child until it is reaped, never after (its number may
// be someone else's by then); kill_and_reap() returns the status itself.
TEST(MonitorWatch, SignalsOnlyChildrenNotYetReaped) {
  Fixture f;
  pid_t a = f.spawn_sh("exec sleep 30");
  pid_t b = f.spawn_sh("exec sleep 30");
  EXPECT_TRUE(f.watch.signal(a, SIGTERM));
  ASSERT_TRUE(f.run_until([&] { return f.children[a]->exited; }));
  EXPECT_TRUE(WIFSIGNALED(f.children[a]->status) && WTERMSIG(f.children[a]->status) == SIGTERM);
  EXPECT_FALSE(f.watch.signal(a, SIGTERM));
  EXPECT_FALSE(f.watch.signal(getpid(), 0));  // not a watched child
  int status = f.watch.kill_and_reap(b);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  f.children[b]->exited = true;  // reaped: the fixture must not kill it again
  EXPECT_FALSE(f.watch.signal(b, 0));
  EXPECT_EQ(f.watch.watched(), 0u);
}

// The kick eventfd: watched, then closed here; another holder's writes
// (the monitor's KVM ioeventfd) still wake the loop, each one, until the
// watch is removed.
TEST(EventLoop, DetachedWatchSurvivesClosingTheDescriptor) {
  auto loop = EventLoop::create().value();
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(efd, 0);
  int holder = dup(efd);  // the monitor's copy
  int calls = 0;
  auto token = loop->add_detached(efd, EPOLLIN, [&](uint32_t) { ++calls; });
  ASSERT_TRUE(token);
  close(efd);
  uint64_t one = 1;
  auto spin = [&](int ms) {
    loop->after(static_cast<uint64_t>(ms) * 1000000, [&] { loop->stop(); });
    loop->run();
  };
  ASSERT_EQ(write(holder, &one, sizeof one), 8);
  spin(20);
  EXPECT_EQ(calls, 1);
  spin(20);
  EXPECT_EQ(calls, 1);  // edge-triggered: nothing drained it, yet no repeat
  ASSERT_EQ(write(holder, &one, sizeof one), 8);
  spin(20);
  EXPECT_EQ(calls, 2);  // the next kick wakes it again
  loop->remove_detached(token.value());
  ASSERT_EQ(write(holder, &one, sizeof one), 8);
  spin(20);
  EXPECT_EQ(calls, 2);
  close(holder);
}

}  // namespace
}  // namespace shoal::pool
