#include <gtest/gtest.h>

#include <shoal/pool/policy/admission.hpp>

using namespace shoal::pool::policy;
using namespace std::chrono_literals;
using Outcome = Admission::Outcome;

namespace {
const TimePoint t0 = TimePoint{} + 1000s;
}

TEST(Admission, GrantsUpToCapacityThenQueuesThenRejects) {
  Admission a({.max_queue = 2, .queue_timeout = 1s}, 2);
  EXPECT_EQ(a.try_acquire(t0).outcome, Outcome::granted);
  EXPECT_EQ(a.try_acquire(t0).outcome, Outcome::granted);
  auto q1 = a.try_acquire(t0);
  auto q2 = a.try_acquire(t0);
  EXPECT_EQ(q1.outcome, Outcome::queued);
  EXPECT_EQ(q2.outcome, Outcome::queued);
  EXPECT_NE(q1.ticket, q2.ticket);
  EXPECT_EQ(a.try_acquire(t0).outcome, Outcome::rejected);  // queue full: 503
  EXPECT_EQ(a.in_use(), 2u);
  EXPECT_EQ(a.queued(), 2u);
}

TEST(Admission, ReleaseGrantsTheOldestTicket) {
  Admission a({.max_queue = 4, .queue_timeout = 1s}, 1);
  a.try_acquire(t0);
  Ticket first = a.try_acquire(t0).ticket;
  Ticket second = a.try_acquire(t0 + 1ms).ticket;
  EXPECT_EQ(a.release(), first);
  EXPECT_EQ(a.in_use(), 1u);  // the slot passed to `first`
  EXPECT_EQ(a.release(), second);
  EXPECT_EQ(a.release(), std::nullopt);
  EXPECT_EQ(a.in_use(), 0u);
}

TEST(Admission, NewRequestsDoNotJumpTheQueue) {
  Admission a({.max_queue = 4, .queue_timeout = 1s}, 1);
  a.try_acquire(t0);
  a.try_acquire(t0);                 // queued
  a.set_capacity(2);                 // an instance arrived, but the queue is served first
  EXPECT_EQ(a.try_acquire(t0).outcome, Outcome::queued);
  auto granted = a.grant_ready();
  EXPECT_EQ(granted.size(), 1u);
  EXPECT_EQ(a.in_use(), 2u);
  EXPECT_EQ(a.queued(), 1u);
}

TEST(Admission, ExpireReturnsTicketsPastTheTimeout) {
  Admission a({.max_queue = 8, .queue_timeout = 100ms}, 1);
  a.try_acquire(t0);
  Ticket t1 = a.try_acquire(t0).ticket;
  Ticket t2 = a.try_acquire(t0 + 50ms).ticket;
  EXPECT_EQ(a.next_deadline(), t0 + 100ms);
  EXPECT_TRUE(a.expire(t0 + 99ms).empty());
  EXPECT_EQ(a.expire(t0 + 100ms), std::vector<Ticket>{t1});
  EXPECT_EQ(a.next_deadline(), t0 + 150ms);
  EXPECT_EQ(a.expire(t0 + 10s), std::vector<Ticket>{t2});
  EXPECT_EQ(a.queued(), 0u);
  EXPECT_EQ(a.next_deadline(), std::nullopt);
  EXPECT_EQ(a.release(), std::nullopt);  // nothing left to grant
}

TEST(Admission, CancelledTicketsAreSkipped) {
  Admission a({.max_queue = 8, .queue_timeout = 1s}, 1);
  a.try_acquire(t0);
  Ticket t1 = a.try_acquire(t0).ticket;
  Ticket t2 = a.try_acquire(t0).ticket;
  Ticket t3 = a.try_acquire(t0).ticket;
  EXPECT_TRUE(a.cancel(t2));
  EXPECT_FALSE(a.cancel(t2));
  EXPECT_FALSE(a.cancel(999));
  EXPECT_EQ(a.queued(), 2u);
  EXPECT_EQ(a.release(), t1);
  EXPECT_EQ(a.release(), t3);
  EXPECT_TRUE(a.cancel(t3) == false);  // granted, no longer queued
}

TEST(Admission, CancelledTicketsFreeQueueRoom) {
  Admission a({.max_queue = 1, .queue_timeout = 1s}, 1);
  a.try_acquire(t0);
  Ticket t = a.try_acquire(t0).ticket;
  EXPECT_EQ(a.try_acquire(t0).outcome, Outcome::rejected);
  a.cancel(t);
  EXPECT_EQ(a.try_acquire(t0).outcome, Outcome::queued);
}

TEST(Admission, UnlimitedAndZeroQueue) {
  Admission unlimited({.max_queue = 0, .queue_timeout = 1s});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(unlimited.try_acquire(t0).outcome, Outcome::granted);
  Admission noqueue({.max_queue = 0, .queue_timeout = 1s}, 1);
  EXPECT_EQ(noqueue.try_acquire(t0).outcome, Outcome::granted);
  EXPECT_EQ(noqueue.try_acquire(t0).outcome, Outcome::rejected);
}

TEST(Admission, CapacityFollowsInstances) {
  EXPECT_EQ(Admission::capacity_for(0, 3), Admission::kUnlimited);
  EXPECT_EQ(Admission::capacity_for(4, 3), 12u);
  EXPECT_EQ(Admission::capacity_for(4, 0), 0u);
  // Capacity lowered below the slots in use: nothing is granted until enough are released.
  Admission a({.max_queue = 4, .queue_timeout = 1s}, 3);
  for (int i = 0; i < 3; ++i) a.try_acquire(t0);
  Ticket waiting = a.try_acquire(t0).ticket;
  a.set_capacity(1);
  EXPECT_EQ(a.release(), std::nullopt);
  EXPECT_EQ(a.release(), std::nullopt);
  EXPECT_EQ(a.release(), waiting);
}
