// Admission: the per-instance concurrency cap of one service, with a bounded
// wait queue and a queue timeout in front of it.
//
// The service has `capacity` request slots (max_concurrency x ready instances;
// see capacity_for()). A request first asks for a slot: it is granted at once,
// queued (FIFO, up to max_queue) with a ticket, or rejected (queue full: 503).
// Each release() passes the freed slot to the oldest queued ticket; expire()
// hands back the tickets that waited longer than queue_timeout (503). Once
// granted, the gateway picks the instance with Balancer::pick(), whose
// max_concurrency filter finds one with a free slot: the queue belongs to the
// service, so a queued request waits for whichever instance frees up first.
//
// Single-threaded; time is passed in.
#pragma once

#include <stdint.h>

#include <deque>
#include <optional>
#include <vector>

#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::policy {

using Ticket = uint64_t;

struct AdmissionConfig {
  uint32_t max_queue = 0;    // queued requests at most; 0 = reject when no slot is free
  Duration queue_timeout{0}; // a queued request waits at most this long
};

class Admission {
 public:
  static constexpr uint64_t kUnlimited = UINT64_MAX;

  enum class Outcome : uint8_t { granted, queued, rejected };
  struct Admit {
    Outcome outcome;
    Ticket ticket = 0;  // set when queued
  };

  explicit Admission(const AdmissionConfig& config, uint64_t capacity = kUnlimited)
      : m_config(config), m_capacity(capacity) {}

  // Slots for `ready_instances` instances capped at `max_concurrency` each
  // (0 = no cap: kUnlimited).
  static uint64_t capacity_for(uint32_t max_concurrency, uint32_t ready_instances);

  // Changes the number of slots (instances came or went). Slots in use above a
  // lower capacity stay in use until released. If it grew, call grant_ready().
  void set_capacity(uint64_t slots) { m_capacity = slots; }

  // A slot at once, a place in the queue, or neither. A request never jumps
  // the queue: while others wait, a new one queues even if a slot is free.
  Admit try_acquire(TimePoint now);

  // Gives a granted slot back. If a queued ticket can now run, it is removed
  // from the queue, takes the slot, and is returned: the caller proceeds with it.
  std::optional<Ticket> release();

  // Grants queued tickets while slots are free (after set_capacity raised them).
  std::vector<Ticket> grant_ready();

  // Removes and returns the tickets queued at or before now - queue_timeout.
  std::vector<Ticket> expire(TimePoint now);

  // A queued request went away (client closed); false if the ticket is not queued.
  bool cancel(Ticket ticket);

  // When the oldest queued ticket times out (for the event loop's timer).
  std::optional<TimePoint> next_deadline() const;

  uint64_t in_use() const { return m_in_use; }
  uint64_t capacity() const { return m_capacity; }
  size_t queued() const { return m_queued; }

 private:
  struct Waiter {
    Ticket ticket;
    TimePoint deadline;
    bool cancelled;
  };
  bool slot_free() const { return m_capacity == kUnlimited || m_in_use < m_capacity; }
  std::optional<Ticket> pop_front();
  void drop_cancelled_front();

  AdmissionConfig m_config;
  uint64_t m_capacity;
  uint64_t m_in_use = 0;
  Ticket m_next_ticket = 1;
  // Tickets increase along the queue, so cancel() finds one by binary search;
  // cancelled waiters stay as tombstones until they reach the front.
  std::deque<Waiter> m_queue;
  size_t m_queued = 0;  // waiters not cancelled
};

}  // namespace shoal::pool::policy
