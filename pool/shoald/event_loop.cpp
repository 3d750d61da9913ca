#include "event_loop.hpp"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

namespace shoal::pool {

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return errno_error("epoll_create1");
  return std::unique_ptr<EventLoop>(new EventLoop(fd));
}

EventLoop::~EventLoop() { close(m_epfd); }

uint64_t EventLoop::now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

Result<void> EventLoop::add(int fd, uint32_t events, FdCallback cb) {
  m_generation = (m_generation + 1) & 0x7fffffff;  // bit 31 marks detached watches
  uint32_t gen = m_generation;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (uint64_t{gen} << 32) | uint32_t(fd);
  if (epoll_ctl(m_epfd, EPOLL_CTL_ADD, fd, &ev) != 0) return errno_error("epoll_ctl add");
  m_watches[fd] = std::make_shared<Watch>(Watch{gen, std::move(cb)});
  return {};
}

Result<void> EventLoop::modify(int fd, uint32_t events) {
  auto it = m_watches.find(fd);
  if (it == m_watches.end()) return make_error("epoll modify: fd " + std::to_string(fd) + " is not watched");
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (uint64_t{it->second->generation} << 32) | uint32_t(fd);
  if (epoll_ctl(m_epfd, EPOLL_CTL_MOD, fd, &ev) != 0) return errno_error("epoll_ctl mod");
  return {};
}

void EventLoop::remove(int fd) {
  if (m_watches.erase(fd) != 0) epoll_ctl(m_epfd, EPOLL_CTL_DEL, fd, nullptr);
}

Result<EventLoop::Token> EventLoop::add_detached(int fd, uint32_t events, FdCallback cb) {
  Token token = m_next_token++;
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.u64 = kDetached | token;
  if (epoll_ctl(m_epfd, EPOLL_CTL_ADD, fd, &ev) != 0) return errno_error("epoll_ctl add");
  m_detached[token] = std::make_shared<FdCallback>(std::move(cb));
  return token;
}

void EventLoop::remove_detached(Token token) { m_detached.erase(token); }

EventLoop::TimerId EventLoop::at(uint64_t deadline_ns, Callback cb) {
  TimerId id = m_next_timer++;
  m_timers.emplace(std::make_pair(deadline_ns, id), std::move(cb));
  m_timer_deadlines.emplace(id, deadline_ns);
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto it = m_timer_deadlines.find(id);
  if (it == m_timer_deadlines.end()) return;
  m_timers.erase({it->second, id});
  m_timer_deadlines.erase(it);
}

void EventLoop::defer(Callback cb) { m_deferred.push_back(std::move(cb)); }

void EventLoop::add_poll_hook(IdleHook hook) { m_poll_hooks.push_back(std::move(hook)); }

void EventLoop::add_idle_hook(IdleHook hook) { m_idle_hooks.push_back(std::move(hook)); }

void EventLoop::run_timers(uint64_t now) {
  while (!m_timers.empty() && m_timers.begin()->first.first <= now) {
    auto node = m_timers.extract(m_timers.begin());
    m_timer_deadlines.erase(node.key().second);
    node.mapped()();
  }
}

void EventLoop::run_deferred() {
  // Deferred calls may defer more; those run in the next round of this loop.
  while (!m_deferred.empty()) {
    std::vector<Callback> batch;
    batch.swap(m_deferred);
    for (auto& cb : batch) cb();
  }
}

int EventLoop::next_timeout_ms(uint64_t now) const {
  if (m_timers.empty()) return 1000;
  uint64_t deadline = m_timers.begin()->first.first;
  if (deadline <= now) return 0;
  uint64_t ms = (deadline - now + 999999) / 1000000;
  return ms > 1000 ? 1000 : int(ms);
}

void EventLoop::run() {
  m_running = true;
  epoll_event events[128];
  int timeout = 0;
  while (m_running) {
    ++m_iterations;
    int n = epoll_wait(m_epfd, events, 128, timeout);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 & kDetached) {
        auto it = m_detached.find(events[i].data.u64 & ~kDetached);
        if (it == m_detached.end()) continue;  // removed: its file is still open somewhere
        auto cb = it->second;                  // alive if it removes itself
        (*cb)(events[i].events);
        continue;
      }
      int fd = int(uint32_t(events[i].data.u64));
      uint32_t gen = uint32_t(events[i].data.u64 >> 32);
      auto it = m_watches.find(fd);
      if (it == m_watches.end() || it->second->generation != gen) continue;  // removed meanwhile
      auto watch = it->second;  // keeps the callback alive if it removes itself
      watch->cb(events[i].events);
    }
    run_deferred();
    run_timers(now_ns());
    run_deferred();
    if (!m_running) break;
    // Poll hooks look for work on every iteration (nobody kicks a loop that
    // has not announced sleep). Idle hooks run only if there was none: they
    // announce the sleep to the guests (who kick us after that) and re-check
    // their rings; any work they find keeps the loop awake.
    bool busy = n > 0;
    for (auto& hook : m_poll_hooks) busy = hook() || busy;
    run_deferred();
    if (!busy) {
      for (auto& hook : m_idle_hooks) busy = hook() || busy;
      run_deferred();
    }
    timeout = busy ? 0 : next_timeout_ms(now_ns());
  }
}

}  // namespace shoal::pool
