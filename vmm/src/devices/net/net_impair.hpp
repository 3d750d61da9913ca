// --net-impair: loss, delay and reordering of the frames going to the guest
// (a test and diagnostic aid; this host kernel has no sch_netem). netem's
// semantics on the TAP device's egress: a frame is lost with probability
// loss; a surviving frame is held `delay`, except a `reorder` share that goes
// at once and so overtakes the held ones. The queue is bounded like netem's
// `limit` (kImpairLimit frames): a frame that finds it full is dropped.
//
// Pure: time comes in as arguments and randomness from a seeded generator,
// so tests replay exact sequences.
#pragma once

#include <stdint.h>

#include <vector>

#include "net_options.hpp"

namespace shoal::vmm {

inline constexpr uint32_t kImpairLimit = 1000;  // netem's default limit

class NetImpairQueue {
 public:
  NetImpairQueue(const NetImpair& config, uint64_t seed);

  enum class Verdict { lost, queued, queue_full };
  // Takes a copy of one frame (len <= abi::kNetMaxPlainFrame) received at now_ns.
  Verdict offer(const uint8_t* frame, uint32_t len, uint64_t now_ns);
  // The next frame due at now_ns (reordered ones first, then held ones in
  // arrival order), or nullptr; valid until pop().
  const uint8_t* peek(uint64_t now_ns, uint32_t* len) const;
  void pop();
  // When the next held frame is due (UINT64_MAX: none waiting).
  uint64_t next_due() const;
  uint32_t size() const { return m_now.count + m_held.count; }

 private:
  struct Fifo {
    uint32_t first = 0, count = 0;
  };
  uint64_t next_random();
  bool chance(uint32_t ppm);
  uint32_t slot_of(const Fifo& f, uint32_t i, uint32_t base) const;
  void push(Fifo& f, uint32_t base, const uint8_t* frame, uint32_t len, uint64_t due);

  NetImpair m_config;
  uint64_t m_state;
  // Each FIFO has a ring of kImpairLimit entries (3 MiB in all, allocated
  // only with --net-impair); size() bounds their sum to kImpairLimit.
  Fifo m_now, m_held;
  std::vector<uint8_t> m_bytes;   // 2 * kImpairLimit frames
  std::vector<uint32_t> m_len;
  std::vector<uint64_t> m_due;
};

}  // namespace shoal::vmm
