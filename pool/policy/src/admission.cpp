#include <shoal/pool/policy/admission.hpp>

#include <algorithm>

namespace shoal::pool::policy {

uint64_t Admission::capacity_for(uint32_t max_concurrency, uint32_t ready_instances) {
  if (max_concurrency == 0) return kUnlimited;
  return uint64_t{max_concurrency} * ready_instances;
}

Admission::Admit Admission::try_acquire(TimePoint now) {
  if (m_queued == 0 && slot_free()) {
    ++m_in_use;
    return {Outcome::granted};
  }
  if (m_queued >= m_config.max_queue) return {Outcome::rejected};
  Ticket ticket = m_next_ticket++;
  m_queue.push_back(Waiter{ticket, now + m_config.queue_timeout, false});
  ++m_queued;
  return {Outcome::queued, ticket};
}

std::optional<Ticket> Admission::release() {
  if (m_in_use > 0) --m_in_use;
  if (!slot_free()) return std::nullopt;
  return pop_front();
}

std::vector<Ticket> Admission::grant_ready() {
  std::vector<Ticket> granted;
  while (slot_free()) {
    std::optional<Ticket> t = pop_front();
    if (!t) break;
    granted.push_back(*t);
  }
  return granted;
}

std::vector<Ticket> Admission::expire(TimePoint now) {
  std::vector<Ticket> expired;
  drop_cancelled_front();
  // Every waiter has the same timeout, so deadlines increase along the queue.
  while (!m_queue.empty() && m_queue.front().deadline <= now) {
    if (!m_queue.front().cancelled) {
      expired.push_back(m_queue.front().ticket);
      --m_queued;
    }
    m_queue.pop_front();
    drop_cancelled_front();
  }
  return expired;
}

bool Admission::cancel(Ticket ticket) {
  auto it = std::lower_bound(m_queue.begin(), m_queue.end(), ticket,
                             [](const Waiter& w, Ticket t) { return w.ticket < t; });
  if (it == m_queue.end() || it->ticket != ticket || it->cancelled) return false;
  it->cancelled = true;
  --m_queued;
  drop_cancelled_front();
  return true;
}

std::optional<TimePoint> Admission::next_deadline() const {
  for (const Waiter& w : m_queue)
    if (!w.cancelled) return w.deadline;
  return std::nullopt;
}

std::optional<Ticket> Admission::pop_front() {
  drop_cancelled_front();
  if (m_queue.empty()) return std::nullopt;
  Ticket t = m_queue.front().ticket;
  m_queue.pop_front();
  --m_queued;
  ++m_in_use;
  drop_cancelled_front();
  return t;
}

void Admission::drop_cancelled_front() {
  while (!m_queue.empty() && m_queue.front().cancelled) m_queue.pop_front();
}

}  // namespace shoal::pool::policy
