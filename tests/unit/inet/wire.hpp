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
#include <stdlib.h>
#include <vector>

#include "inet/checksum.hpp"
#include "inet/stack.hpp"

namespace shoal::test {

struct Impairment {
  double loss = 0;          // probability a frame is dropped
  uint64_t delay_ns = 0;    // one-way delay
  double reorder = 0;       // probability a frame skips the delay (as netem's reorder)
  uint64_t jitter_ns = 0;   // uniform extra delay in [0, jitter)
};

// One direction's device: what a stack transmits lands in `out`. With
// `offload` it also plays a virtio-net device with checksum and TCPv4
// segmentation offload, as the host kernel behind the TAP does: it checks
// the partial checksum the stack left (the pseudo-header sum), completes it,
// and cuts super-frames into gso_size segments before they reach the wire.
class WireEnd final : public libos::inet::Device {
 public:
  uint8_t* tx_buffer() override {
    if (full) return nullptr;
    return m_buf.data();
  }
  void tx_commit(size_t len) override {
    if (len > libos::inet::kMaxFrame) ++bad_offload;  // a plain frame over the MTU
    std::vector<uint8_t> f(m_buf.data(), m_buf.data() + len);
    if (m_pending.empty()) sent.push_back(std::move(f));
    else m_pending.push_back({std::move(f), {}, {}, false});  // frames leave in commit order
  }
  uint8_t* tx_buffer_large(size_t len) override {
    if (!offload) ++bad_offload;  // never asked for without the offload
    if (full || len > libos::inet::kMaxLargeFrame) return nullptr;
    return m_buf.data();
  }
  void tx_commit_offload(size_t len, const libos::inet::TxOffload& off) override {
    std::vector<uint8_t> f(m_buf.data(), m_buf.data() + len);
    if (m_pending.empty()) offload_frame(std::move(f), off);
    else m_pending.push_back({std::move(f), {}, off, true});
  }

  // Gather (with `gather` and `offload`), as the monitor does it: the frame
  // keeps pointers into the stack's send ring and its bytes are read only
  // when the wire takes it (frames committed after it wait behind it), so a
  // ring the stack frees meanwhile must come through retire_tx_memory().
  bool gathers() const override { return gather && offload; }
  uint8_t* tx_buffer_gather() override {
    if (full) return nullptr;
    m_gather_head.assign(256, 0);
    return m_gather_head.data();
  }
  void tx_commit_gather(size_t head_len, const libos::inet::TxSpan* spans, int count, size_t len,
                        const libos::inet::TxOffload& off) override {
    Pending p;
    p.offload = true;
    p.bytes.assign(m_gather_head.begin(), m_gather_head.begin() + static_cast<ptrdiff_t>(head_len));
    size_t total = head_len;
    for (int i = 0; i < count; ++i) {
      p.spans.push_back(spans[i]);
      total += spans[i].len;
    }
    if (total != len || count < 1 || count > libos::inet::kMaxTxSpans || !off.csum_partial) ++bad_offload;
    p.off = off;
    m_pending.push_back(std::move(p));
    ++gather_frames;
  }
  bool retire_tx_memory(void* p) override {
    if (m_pending.empty()) return false;
    m_retired.push_back(p);
    ++retired;
    return true;
  }
  // Reads the pending gather frames' spans now, then frees retired memory.
  void materialize() {
    for (auto& p : m_pending) {
      for (auto& sp : p.spans) p.bytes.insert(p.bytes.end(), sp.data, sp.data + sp.len);
      if (p.offload) offload_frame(std::move(p.bytes), p.off);
      else sent.push_back(std::move(p.bytes));
    }
    m_pending.clear();
    for (void* r : m_retired) free(r);
    m_retired.clear();
  }
  ~WireEnd() { materialize(); }

  std::deque<std::vector<uint8_t>> sent;  // frames not yet put on the wire
  bool full = false;                      // simulate a full device
  bool offload = false;                   // a device with TSO + checksum offload
  bool gather = false;                    // and gather frames (needs offload)
  uint64_t gather_frames = 0, retired = 0;
  uint64_t gso_frames = 0, gso_segments = 0, partial_frames = 0;
  uint64_t bad_offload = 0;  // metadata or a partial sum that is wrong

 private:
  struct Pending {
    std::vector<uint8_t> bytes;  // the head; the spans' bytes join at materialize()
    std::vector<libos::inet::TxSpan> spans;
    libos::inet::TxOffload off;
    bool offload = false;  // through offload_frame (else a plain frame)
  };
  void offload_frame(std::vector<uint8_t> f, const libos::inet::TxOffload& off);
  void complete(std::vector<uint8_t>& f, size_t csum_start);
  std::vector<uint8_t> m_gather_head;
  std::deque<Pending> m_pending;
  std::vector<void*> m_retired;
  std::vector<uint8_t> m_buf = std::vector<uint8_t>(libos::inet::kMaxLargeFrame);
};

inline uint16_t wire_load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void wire_store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// The full TCP checksum of frame f whose L4 part starts at csum_start.
inline void WireEnd::complete(std::vector<uint8_t>& f, size_t l4) {
  using namespace libos::inet;
  uint8_t* ip = f.data() + 14;
  uint32_t src, dst;
  memcpy(&src, ip + 12, 4);
  memcpy(&dst, ip + 16, 4);
  size_t len = f.size() - l4;
  f[l4 + 16] = f[l4 + 17] = 0;
  uint16_t c = csum_fold(csum_add(csum_pseudo(src, dst, 6, static_cast<uint16_t>(len)), f.data() + l4, len));
  memcpy(f.data() + l4 + 16, &c, 2);
}

inline void WireEnd::offload_frame(std::vector<uint8_t> f, const libos::inet::TxOffload& off) {
  using namespace libos::inet;
  size_t len = f.size();
  // What the device checks: TCP/IPv4 at 34, field at +16, holding the
  // pseudo-header sum over the whole L4 length (virtio's convention).
  if (!offload || !off.csum_partial || off.csum_start != 34 || off.csum_offset != 16 || len < 54 ||
      f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6) {
    ++bad_offload;
    sent.push_back(std::move(f));
    return;
  }
  uint8_t* ip = f.data() + 14;
  uint32_t src, dst;
  memcpy(&src, ip + 12, 4);
  memcpy(&dst, ip + 16, 4);
  uint16_t expect =
      static_cast<uint16_t>(~csum_fold(csum_pseudo(src, dst, 6, static_cast<uint16_t>(len - 34))));
  uint16_t field;
  memcpy(&field, f.data() + 50, 2);
  if (field != expect || wire_load16(ip + 2) != len - 14) ++bad_offload;
  ++partial_frames;
  if (off.gso_size == 0) {
    if (len > kMaxFrame) ++bad_offload;
    complete(f, 34);
    sent.push_back(std::move(f));
    return;
  }
  ++gso_frames;
  size_t thl = static_cast<size_t>(f[34 + 12] >> 4) * 4;
  size_t hdr = 34 + thl;
  size_t payload = len - hdr;
  if (payload <= off.gso_size || hdr + off.gso_size > kMaxFrame) ++bad_offload;  // not worth a super-frame
  uint32_t seq = static_cast<uint32_t>(f[38]) << 24 | f[39] << 16 | f[40] << 8 | f[41];
  uint8_t flags = f[34 + 13];
  uint16_t id = wire_load16(ip + 4);
  for (size_t off_b = 0, i = 0; off_b < payload; off_b += off.gso_size, ++i) {
    size_t n = std::min<size_t>(off.gso_size, payload - off_b);
    std::vector<uint8_t> seg(f.begin(), f.begin() + static_cast<ptrdiff_t>(hdr));
    seg.insert(seg.end(), f.begin() + static_cast<ptrdiff_t>(hdr + off_b),
               f.begin() + static_cast<ptrdiff_t>(hdr + off_b + n));
    uint8_t* sip = seg.data() + 14;
    wire_store16(sip + 2, static_cast<uint16_t>(20 + thl + n));
    wire_store16(sip + 4, static_cast<uint16_t>(id + i));
    sip[10] = sip[11] = 0;
    uint16_t ic = checksum(sip, 20);
    memcpy(sip + 10, &ic, 2);
    uint32_t sseq = seq + static_cast<uint32_t>(off_b);
    seg[38] = static_cast<uint8_t>(sseq >> 24);
    seg[39] = static_cast<uint8_t>(sseq >> 16);
    seg[40] = static_cast<uint8_t>(sseq >> 8);
    seg[41] = static_cast<uint8_t>(sseq);
    bool last = off_b + n == payload;
    if (!last) seg[34 + 13] = static_cast<uint8_t>(flags & ~0x09);  // FIN and PSH on the last only
    complete(seg, 34);
    ++gso_segments;
    sent.push_back(std::move(seg));
  }
}

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
    dev.materialize();
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
