// An in-memory Ethernet between two host-built stacks (libos/inet), for unit
// tests: frames are copied into a queue and delivered when the test's clock
// passes their arrival time, with optional loss, delay and reordering from a
// seeded generator, so every run of a test sees the same "network".
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <random>
#include <vector>

#include "inet/stack.hpp"

namespace shoal::test {

struct Impairment {
  double loss = 0;          // probability a frame is dropped
  uint64_t delay_ns = 0;    // one-way delay
  double reorder = 0;       // probability a frame skips the delay (as netem's reorder)
  uint64_t jitter_ns = 0;   // uniform extra delay in [0, jitter)
};

// One direction's device: what a stack transmits lands in `out`.
class WireEnd final : public libos::inet::Device {
 public:
  uint8_t* tx_buffer() override {
    if (full) return nullptr;
    return m_buf;
  }
  void tx_commit(size_t len) override { sent.emplace_back(m_buf, m_buf + len); }
  std::deque<std::vector<uint8_t>> sent;  // frames not yet put on the wire
  bool full = false;                      // simulate a full device

 private:
  uint8_t m_buf[libos::inet::kMaxFrame];
};

// Two stacks a and b on one wire. Time starts at 1 s and moves only by
// run_for/step; each step delivers due frames and runs due timers.
class Wire {
 public:
  struct InFlight {
    uint64_t at;
    uint64_t seq;
    bool to_b;
    std::vector<uint8_t> frame;
  };

  WireEnd dev_a, dev_b;
  Impairment a_to_b, b_to_a;
  uint64_t now = 1'000'000'000;
  std::mt19937_64 rng{42};
  std::vector<InFlight> flight;
  uint64_t seq = 0;
  uint64_t delivered = 0, dropped = 0;
  // Optional taps: see (and may change or drop: return false) each frame.
  std::function<bool(bool to_b, std::vector<uint8_t>& frame)> tap;

  // Moves frames the stacks sent onto the wire.
  void collect(libos::inet::Stack& a, libos::inet::Stack& b) {
    (void)a, (void)b;
    take(dev_a, true, a_to_b);
    take(dev_b, false, b_to_a);
  }

  // Advances time by at most max_step to the next event (delivery or timer)
  // and processes it. Returns false when nothing is pending at all.
  bool step(libos::inet::Stack& a, libos::inet::Stack& b, uint64_t max_step = 1'000'000'000) {
    collect(a, b);
    uint64_t next = now + max_step;
    for (auto& f : flight) next = std::min(next, f.at);
    next = std::min(next, std::max(now, a.next_deadline()));
    next = std::min(next, std::max(now, b.next_deadline()));
    now = next;
    a.set_now(now);
    b.set_now(now);
    // Deliver due frames in (arrival, send order).
    std::vector<InFlight> due;
    for (auto it = flight.begin(); it != flight.end();) {
      if (it->at <= now) {
        due.push_back(std::move(*it));
        it = flight.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(due.begin(), due.end(), [](const InFlight& x, const InFlight& y) {
      return x.at != y.at ? x.at < y.at : x.seq < y.seq;
    });
    for (auto& f : due) {
      ++delivered;
      (f.to_b ? b : a).input(f.frame.data(), f.frame.size());
    }
    a.run_timers();
    b.run_timers();
    collect(a, b);
    return !flight.empty() || a.next_deadline() != libos::inet::kNever || b.next_deadline() != libos::inet::kNever;
  }

  // Runs until `done` holds or `limit_ns` of simulated time passed. True if done.
  bool run_until(libos::inet::Stack& a, libos::inet::Stack& b, const std::function<bool()>& done,
                 uint64_t limit_ns = 60'000'000'000ull) {
    uint64_t end = now + limit_ns;
    while (!done()) {
      if (now >= end) return false;
      step(a, b, std::min<uint64_t>(end - now, 1'000'000'000));
    }
    return true;
  }

 private:
  void take(WireEnd& dev, bool to_b, const Impairment& imp) {
    std::uniform_real_distribution<double> u(0, 1);
    while (!dev.sent.empty()) {
      std::vector<uint8_t> frame = std::move(dev.sent.front());
      dev.sent.pop_front();
      if (tap && !tap(to_b, frame)) { ++dropped; continue; }
      if (imp.loss > 0 && u(rng) < imp.loss) { ++dropped; continue; }
      uint64_t delay = imp.delay_ns;
      if (imp.reorder > 0 && u(rng) < imp.reorder) delay = 0;
      if (imp.jitter_ns > 0) delay += rng() % imp.jitter_ns;
      flight.push_back({now + delay, seq++, to_b, std::move(frame)});
    }
  }
};

}  // namespace shoal::test
