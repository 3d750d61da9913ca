// Two threads, two mappings: a guest thread echoes every connection with
// channel_ops.h while the host pushes payloads larger than the ring through
// the Channel API. Both sides sleep when idle and rely on the announce /
// fence / re-check / kick protocol: a lost wake-up would show as a poll that
// times out while the other side owes us bytes.
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "guest_sim.hpp"

using namespace shoal;
using namespace shoal::pool;
using namespace shoal::pool::test;

namespace {

uint8_t pattern(uint32_t conn, uint64_t i) {
  return static_cast<uint8_t>((i * 2654435761u) >> 13 ^ conn * 97);
}

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The guest: accept, echo, shut after the host shut, release after the host closed.
class EchoGuest {
 public:
  EchoGuest(const Channel& ch) : m_sim(ch), m_to_host(ch.fds().to_host), m_to_guest(ch.fds().to_guest) {}
  void run(std::atomic<bool>& stop) {
    auto* h = m_sim.header();
    while (!stop.load()) {
      if (work()) continue;
      sabi::channel_announce_sleep(h, sabi::kSideGuest);
      if (work()) {
        sabi::channel_clear_sleep(h, sabi::kSideGuest);
        continue;
      }
      pollfd p{m_to_guest, POLLIN, 0};
      poll(&p, 1, 200);
      uint64_t v;
      (void)!::read(m_to_guest, &v, sizeof v);
      sabi::channel_clear_sleep(h, sabi::kSideGuest);
    }
  }
  std::atomic<uint64_t> echoed{0};

 private:
  bool work() {
    bool did = false;
    const auto& v = m_sim.view();
    for (uint32_t i = 0; i < v.slot_count / 2; ++i) {
      auto* s = m_sim.slot(i);
      uint32_t st = sabi::slot_state(s);
      if (st == sabi::kSlotConnecting && !m_mine[i]) {
        if (sabi::slot_accept(s)) {
          m_mine[i] = true;
          m_shut[i] = false;
          did = true;
        }
        continue;
      }
      if (!m_mine[i] || st != sabi::kSlotOpen) continue;
      auto e = m_sim.end(i);
      uint32_t host_flags = sabi::slot_flags(s, sabi::kSideHost);
      int64_t space = sabi::ring_space(e.tx, e.ring_size);
      if (space > 0) {
        uint8_t buf[8192];
        int64_t n = sabi::ring_read(
            e.rx, e.rx_data, e.ring_size, buf,
            static_cast<uint64_t>(space) < sizeof buf ? static_cast<uint64_t>(space) : sizeof buf);
        if (n > 0) {
          EXPECT_EQ(sabi::ring_write(e.tx, e.tx_data, e.ring_size, buf, static_cast<uint64_t>(n)), n);
          echoed += static_cast<uint64_t>(n);
          did = true;
        }
      }
      if (!m_shut[i] && (host_flags & sabi::kShutWrite) && sabi::ring_readable(e.rx, e.ring_size) == 0) {
        sabi::slot_set_flags(s, sabi::kSideGuest, sabi::kShutWrite);
        m_shut[i] = true;
        did = true;
      }
      if (m_shut[i] && (sabi::slot_released(s) & sabi::kReleasedHost)) {
        sabi::slot_release(s, sabi::kSideGuest);
        m_mine[i] = false;
        did = true;
      }
    }
    if (did) {
      sabi::channel_bump_events(m_sim.header(), sabi::kSideGuest);
      if (sabi::channel_take_kick(m_sim.header(), sabi::kSideHost)) {
        uint64_t one = 1;
        (void)!::write(m_to_host, &one, sizeof one);  // the guest's outl, in a test
      }
    }
    return did;
  }

  GuestSim m_sim;
  int m_to_host, m_to_guest;
  bool m_mine[sabi::kMaxChannelSlots] = {};
  bool m_shut[sabi::kMaxChannelSlots] = {};
};

struct Conn {
  uint32_t id = 0;
  uint32_t slot = 0;
  uint64_t size = 0, sent = 0, received = 0;
  bool shut = false, done = false;
};

TEST(ChannelStress, EchoManyConnectionsLargerThanTheRingWithSleepAndKicks) {
  ChannelConfig c;
  c.slot_count = 8;
  c.ring_size = 4096;
  auto made = Channel::create(c);
  ASSERT_TRUE(made.ok());
  Channel& ch = made.value();
  std::atomic<bool> stop{false};
  EchoGuest guest(ch);
  std::thread t([&] { guest.run(stop); });
  // Stops and joins the guest on every way out of the test (ASSERTs return).
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    int fd;
    ~Join() {
      stop = true;
      uint64_t one = 1;
      (void)!::write(fd, &one, sizeof one);
      t.join();
    }
  } join{stop, t, ch.fds().to_guest};

  constexpr uint32_t kConnections = 40;
  uint32_t next = 0, finished = 0;
  std::vector<Conn> live;
  uint64_t total = 0;
  int host_timeouts = 0;
  double deadline = now_s() + 60;
  std::vector<uint32_t> ready;
  while (finished < kConnections && now_s() < deadline) {
    bool progress = false;
    while (next < kConnections && live.size() < 3) {
      auto slot = ch.open(8080, 0, 0);
      // Closed slots come back once the guest released its end.
      if (!slot.ok() && slot.error().code == EAGAIN) break;
      ASSERT_TRUE(slot.ok()) << slot.error().message;
      Conn conn;
      conn.id = next;
      conn.slot = *slot;
      conn.size = 1 + (uint64_t{next} * 7919 * 13) % 100000;
      total += conn.size;
      live.push_back(conn);
      ++next;
      progress = true;
    }
    ready.clear();
    if (ch.changed()) ch.collect(ready);
    for (auto& conn : live) {
      uint8_t buf[8192];
      while (conn.sent < conn.size) {
        uint64_t n = conn.size - conn.sent < sizeof buf ? conn.size - conn.sent : sizeof buf;
        for (uint64_t i = 0; i < n; ++i) buf[i] = pattern(conn.id, conn.sent + i);
        auto w = ch.write(conn.slot, {buf, n});
        ASSERT_TRUE(w.ok()) << w.error().message;
        if (*w == 0) break;
        conn.sent += *w;
        progress = true;
      }
      if (conn.sent == conn.size && !conn.shut) {
        ASSERT_TRUE(ch.shutdown_write(conn.slot).ok());
        conn.shut = true;
        progress = true;
      }
      for (;;) {
        auto r = ch.read(conn.slot, buf);
        ASSERT_TRUE(r.ok()) << r.error().message;
        for (size_t i = 0; i < r->bytes; ++i)
          ASSERT_EQ(buf[i], pattern(conn.id, conn.received + i))
              << "connection " << conn.id << " byte " << conn.received + i;
        conn.received += r->bytes;
        if (r->bytes) progress = true;
        if (r->eof) {
          EXPECT_EQ(conn.received, conn.size);
          ch.close(conn.slot);
          conn.done = true;
          ++finished;
          progress = true;
        }
        if (r->bytes == 0) break;
      }
    }
    std::erase_if(live, [](const Conn& c) { return c.done; });
    ch.flush();
    if (progress) continue;
    if (ch.prepare_sleep()) {
      ch.finish_sleep();
      continue;
    }
    pollfd p{ch.to_host_fd(), POLLIN, 0};
    // Work is outstanding (we wait for echoes), so only a lost kick can
    // leave this poll waiting its full second.
    if (poll(&p, 1, 1000) == 0) ++host_timeouts;
    ch.finish_sleep();
  }
  stop = true;
  EXPECT_EQ(finished, kConnections);
  EXPECT_EQ(host_timeouts, 0);
  EXPECT_EQ(guest.echoed.load(), total);
  EXPECT_GT(total, 100u * 4096u);  // many times the ring
}

}  // namespace
