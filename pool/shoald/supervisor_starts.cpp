// Supervisor: the start queue. Every new instance (a scale-up, a restart,
// an activation from zero) is queued, and the queue is pumped from a timer
// a slice at a time: spawning 10,000 monitors in one callback kept the loop
// from the control socket, the gateway and the channels for a minute
// (`shoal ps`: "no answer from shoald"). A slice spawns until start_slice has
// passed; at most max_starting instances are starting at once (the rest wait
// for readiness to free a place), so booting guests do not starve shoald of
// CPU, and a start's timeout runs from its spawn, not from its queueing.
#include <algorithm>

#include "pool/channel/channel.hpp"
#include "supervisor.hpp"

namespace shoal::pool {

void Supervisor::set_state(Instance& i, InstanceState s) {
  if (i.state == s) return;
  ServiceRuntime& rt = rt_of(*i.service);
  auto& was = rt.by_state[static_cast<size_t>(i.state)];
  if (was > 0) --was;
  if (i.state == InstanceState::starting && m_starting > 0) --m_starting;
  i.state = s;
  ++rt.by_state[static_cast<size_t>(s)];
  if (s == InstanceState::starting) ++m_starting;
  // A place among the starting instances may have come free.
  if (!m_start_queue.empty()) arm_start_pump();
}

void Supervisor::queue_start(ServiceRuntime& rt, uint32_t index) {
  m_start_queue.emplace_back(&rt, index);
  ++rt.queued;
  arm_start_pump();
}

void Supervisor::cancel_queued_starts(ServiceRuntime& rt, uint32_t count) {
  // The newest first, as a scale-down drops the newest indexes.
  for (auto it = m_start_queue.end(); count > 0 && it != m_start_queue.begin();) {
    --it;
    if (it->first != &rt) continue;
    rt.indexes.release(it->second);
    --rt.queued;
    --count;
    it = m_start_queue.erase(it);
  }
}

void Supervisor::arm_start_pump() {
  if (m_start_timer || m_start_queue.empty() || m_starting >= m_config.max_starting) return;
  // A timer due now: the loop polls its descriptors (timeout 0) before it
  // runs the pump, so every slice is followed by whatever is waiting.
  m_start_timer = m_loop.after(uint64_t{0}, [this] { pump_starts(); });
}

void Supervisor::pump_starts() {
  m_start_timer = 0;
  uint64_t begin = EventLoop::now_ns();
  uint64_t slice = static_cast<uint64_t>(std::max<int64_t>(m_config.start_slice.count(), 0));
  while (!m_start_queue.empty() && m_starting < m_config.max_starting) {
    auto [rt, index] = m_start_queue.front();
    m_start_queue.pop_front();
    --rt->queued;
    if (m_stopping) {
      rt->indexes.release(index);
      continue;
    }
    spawn_or_log(*rt, index);
    if (EventLoop::now_ns() - begin >= slice) break;
  }
  arm_start_pump();
}

void Supervisor::sweep_ready() {
  m_sweep_timer = 0;
  // Readiness is seen on channel events; this sweep reads the listen tables
  // of a few starting instances per period, for a guest that never kicks.
  size_t budget = std::max<uint32_t>(1, m_config.ready_sweep);
  for (size_t n = 0; n < budget && !m_starting_ids.empty(); ++n) {
    if (m_sweep_cursor >= m_starting_ids.size()) m_sweep_cursor = 0;
    Instance* i = find_instance(m_starting_ids[m_sweep_cursor]);
    if (i && i->state == InstanceState::starting) check_ready(*i);
    if (!i || i->state != InstanceState::starting) {
      // Dropped by moving the last one here (order does not matter).
      m_starting_ids[m_sweep_cursor] = m_starting_ids.back();
      m_starting_ids.pop_back();
      continue;
    }
    ++m_sweep_cursor;
  }
  if (!m_starting_ids.empty()) m_sweep_timer = m_loop.after(m_config.ready_poll, [this] { sweep_ready(); });
}

}  // namespace shoal::pool
