#include "warm_pool.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <span>
#include <vector>

#include "instance_runtime.hpp"
#include "time_points.hpp"

namespace shoal::pool {

namespace {

constexpr uint64_t kWarmUpPollNs = 1'000'000;         // the warm-up request's progress
constexpr uint64_t kWarmUpTimeoutNs = 5'000'000'000;  // then it is usable as it is

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

Result<WarmMonitor> spawn_warm_monitor(MonitorLaunch launch, const std::string& snapshot, Channel channel) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  launch.argv.insert(launch.argv.end(), {"--start-on-fd", std::to_string(fds[0]), snapshot});
  launch.inherit_fds.push_back(fds[0]);
  auto proc = spawn_monitor(launch);
  close(fds[0]);  // the monitor has its copy
  if (!proc) {
    close(fds[1]);
    return proc.error();
  }
  channel.drop_memfd();
  WarmMonitor m;
  m.process = proc.value();
  m.channel = std::make_unique<Channel>(std::move(channel));
  m.start_fd = fds[1];
  m.spawned_ns = EventLoop::now_ns();
  return m;
}

WarmPool::WarmPool(EventLoop& loop, MonitorWatch& watch, DeathListener on_death)
    : m_loop(loop), m_watch(watch), m_on_death(std::move(on_death)) {}

WarmPool::~WarmPool() { clear_all(); }

void WarmPool::add(uint32_t service, WarmMonitor m, const std::string& warm_up, uint16_t port) {
  auto e = std::make_unique<Entry>();
  e->m = std::move(m);
  e->serial = m_next_serial++;
  watch(service, *e);
  Entry* p = e.get();
  m_warm[service].push_back(std::move(e));
  if (warm_up.empty()) return;
  p->warm_up = warm_up;
  p->port = port;
  if (!start(p->m)) return;  // it died: its exit is reported
  p->m.started = true;
  p->deadline_ns = EventLoop::now_ns() + kWarmUpTimeoutNs;
  p->timer = m_loop.after(kWarmUpPollNs, [this, p] { warm_up_step(*p); });
}

void WarmPool::warm_up_step(Entry& e) {
  e.timer = 0;
  Channel& ch = *e.m.channel;
  std::vector<uint32_t> events;
  ch.collect(events);  // settles released slots
  if (EventLoop::now_ns() > e.deadline_ns) {
    end_warm_up(e, false);
    return;
  }
  if (e.slot == UINT32_MAX) {
    if (ch.listening(e.port)) {
      auto slot = ch.open(e.port, 0x0100007f, 1);  // from 127.0.0.1:1, as a probe
      if (!slot) {
        end_warm_up(e, false);
        return;
      }
      e.slot = slot.value();
      std::string req = "GET " + e.warm_up + " HTTP/1.1\r\nHost: warm-up\r\nConnection: close\r\n\r\n";
      (void)ch.write(e.slot, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(req.data()), req.size()));
      ch.flush();
    }
  } else {
    uint8_t buf[4096];
    for (;;) {
      auto r = ch.read(e.slot, buf);
      if (!r) {
        end_warm_up(e, false);
        return;
      }
      if (r->eof) {
        end_warm_up(e, true);
        return;
      }
      if (r->bytes == 0) break;
    }
    ch.flush();
  }
  e.timer = m_loop.after(kWarmUpPollNs, [this, p = &e] { warm_up_step(*p); });
}

void WarmPool::end_warm_up(Entry& e, bool ok) {
  if (e.timer) m_loop.cancel(e.timer);
  e.timer = 0;
  if (e.slot != UINT32_MAX && e.m.channel) {
    e.m.channel->close(e.slot);
    e.m.channel->flush();
  }
  e.slot = UINT32_MAX;
  e.m.warmed = ok;
}

void WarmPool::watch(uint32_t service, Entry& e) {
  uint64_t serial = e.serial;
  Entry* p = &e;
  // The entry lives until on_exit or unwatch, whichever comes first.
  m_watch.watch(
      e.m.process.pid, [p](LogStream stream, std::string_view bytes) { p->m.log.append(stream, bytes, wall_ns()); },
      [this, service, serial](int status) { on_exit(service, serial, status); });
}

void WarmPool::unwatch(Entry& e) { m_watch.forget(e.m.process.pid); }

size_t WarmPool::count(uint32_t service) const {
  auto it = m_warm.find(service);
  return it == m_warm.end() ? 0 : it->second.size();
}

size_t WarmPool::total() const {
  size_t n = 0;
  for (const auto& [service, list] : m_warm) n += list.size();
  return n;
}

std::optional<WarmMonitor> WarmPool::take(uint32_t service) {
  auto it = m_warm.find(service);
  if (it == m_warm.end() || it->second.empty()) return std::nullopt;
  // A warmed-up one first; else the oldest (its warm-up, if any, is cut).
  auto& list = it->second;
  auto pick = std::find_if(list.begin(), list.end(), [](const auto& e) { return e->m.warmed; });
  if (pick == list.end()) pick = list.begin();
  std::unique_ptr<Entry> e = std::move(*pick);
  list.erase(pick);
  if (e->timer || e->slot != UINT32_MAX) end_warm_up(*e, false);
  unwatch(*e);
  return std::move(e->m);
}

Result<void> WarmPool::start(WarmMonitor& m) {
  const char go = 1;
  ssize_t n;
  do n = write(m.start_fd, &go, 1);
  while (n < 0 && errno == EINTR);
  Result<void> r = n == 1 ? Result<void>{} : errno_error("start pipe");
  close_fd(m.start_fd);
  return r;
}

void WarmPool::on_exit(uint32_t service, uint64_t serial, int status) {
  auto it = m_warm.find(service);
  if (it == m_warm.end()) return;
  auto& list = it->second;
  auto pos = std::find_if(list.begin(), list.end(), [serial](const auto& e) { return e->serial == serial; });
  if (pos == list.end()) return;
  std::unique_ptr<Entry> e = std::move(*pos);
  list.erase(pos);
  // Reaped by the watch, which read its last output first.
  e->m.log.flush(wall_ns());
  std::string how = describe_exit(status);
  auto tail = e->m.log.tail(LogStream::err, 1);
  if (!tail.empty()) how += ": " + tail.back();
  if (e->timer) m_loop.cancel(e->timer);
  e->m.process.pid = -1;  // reaped
  destroy(e->m, false);
  if (m_on_death) m_on_death(service, how);
}

void WarmPool::destroy(WarmMonitor& m, bool kill_it) {
  if (kill_it && m.process.pid > 0) m_watch.kill_and_reap(m.process.pid);
  close_fd(m.start_fd);
  m.channel.reset();
}

void WarmPool::clear(uint32_t service) {
  auto it = m_warm.find(service);
  if (it == m_warm.end()) return;
  for (auto& e : it->second) {
    if (e->timer) m_loop.cancel(e->timer);
    destroy(e->m, true);
  }
  it->second.clear();
}

void WarmPool::clear_all() {
  for (auto& [service, list] : m_warm) clear(service);
}

}  // namespace shoal::pool
