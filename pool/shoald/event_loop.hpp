// EventLoop: shoald's one thread. epoll for file descriptors, an ordered map
// for timers, deferred calls, poll hooks that run on every iteration (the
// channels of busy instances are polled there, without kicks), and idle hooks
// that run only when the loop is about to sleep (the channels announce sleep
// there and re-check their rings, so a guest only kicks shoald when shoald is
// really about to sleep).
//
// Callbacks may add, modify and remove any fd or timer, including their own;
// an event for an fd removed earlier in the same iteration is dropped.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "shoal/base/result.hpp"

namespace shoal::pool {

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t events)>;
  using Callback = std::function<void()>;
  // Returns true when it found work (the loop then polls instead of sleeping).
  using IdleHook = std::function<bool()>;
  using TimerId = uint64_t;

  static Result<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // CLOCK_MONOTONIC in nanoseconds.
  static uint64_t now_ns();

  Result<void> add(int fd, uint32_t events, FdCallback cb);
  Result<void> modify(int fd, uint32_t events);
  void remove(int fd);  // does not close fd

  // Watches the file behind fd under a token and lets the caller close fd
  // right after: epoll keeps watching an open file while any process holds
  // it, so a descriptor shared with a monitor (its channel's kick eventfd)
  // costs shoald no descriptor. Always edge-triggered (EPOLLET is added):
  // nobody can drain a descriptor no longer held. remove_detached() drops
  // the callback; the kernel's entry goes when the last holder closes the
  // file (the monitor exits), and events until then are ignored.
  using Token = uint64_t;
  Result<Token> add_detached(int fd, uint32_t events, FdCallback cb);
  void remove_detached(Token token);

  TimerId at(uint64_t deadline_ns, Callback cb);
  TimerId after(uint64_t delay_ns, Callback cb) { return at(now_ns() + delay_ns, std::move(cb)); }
  // Delays from configuration (the spec's durations, never negative).
  TimerId after(std::chrono::nanoseconds delay, Callback cb) {
    return after(static_cast<uint64_t>(std::max<int64_t>(delay.count(), 0)), std::move(cb));
  }
  void cancel(TimerId id);  // no-op for a fired or unknown timer

  void defer(Callback cb);  // runs once, after the current batch of events
  // Every iteration, after events, timers and deferred calls.
  void add_poll_hook(IdleHook hook);
  // Only when nothing else found work (no fd event, no poll hook found work),
  // just before epoll_wait would block.
  void add_idle_hook(IdleHook hook);

  void run();   // until stop()
  void stop() { m_running = false; }
  uint64_t iterations() const { return m_iterations; }

 private:
  explicit EventLoop(int epfd) : m_epfd(epfd) {}
  struct Watch {
    uint32_t generation;
    FdCallback cb;
  };
  void run_timers(uint64_t now);
  void run_deferred();
  int next_timeout_ms(uint64_t now) const;

  int m_epfd;
  bool m_running = false;
  uint32_t m_generation = 0;
  uint64_t m_iterations = 0;
  uint64_t m_next_timer = 1;
  std::unordered_map<int, std::shared_ptr<Watch>> m_watches;
  // Detached watches: epoll data is kDetached | token (a normal watch has
  // a generation below 2^31 in the high half).
  static constexpr uint64_t kDetached = uint64_t{1} << 63;
  Token m_next_token = 1;
  std::unordered_map<Token, std::shared_ptr<FdCallback>> m_detached;
  std::map<std::pair<uint64_t, TimerId>, Callback> m_timers;
  std::unordered_map<TimerId, uint64_t> m_timer_deadlines;
  std::vector<Callback> m_deferred;
  std::vector<IdleHook> m_poll_hooks;
  std::vector<IdleHook> m_idle_hooks;
};

}  // namespace shoal::pool
