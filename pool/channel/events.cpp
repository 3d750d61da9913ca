// Channel's events: what changed for the host, and notification suppression
// (each side kicks the other only when it announced it would sleep; see
// abi/channel.h and channel_ops.h).
#include <unistd.h>

#include "pool/channel/channel.hpp"

namespace shoal::pool {

using namespace shoal::abi;

bool Channel::changed() {
  uint32_t now = channel_events(m_header, kSideGuest);
  if (now == m_seen_guest_events) return false;
  m_seen_guest_events = now;
  return true;
}

void Channel::collect(std::vector<uint32_t>& out) {
  // Index loop: settle_closing() may swap-remove the current entry.
  for (size_t i = 0; i < m_active.size();) {
    uint32_t slot = m_active[i];
    if (settle_closing(slot)) continue;  // m_active[i] is now another slot
    SlotShadow& s = m_slots[slot];
    ChannelSlot* cs = channel_slot(&m_view, slot);
    uint32_t state = slot_state(cs);
    uint32_t flags = slot_flags(cs, kSideGuest);
    uint32_t released = slot_released(cs);
    uint32_t rx_head = __atomic_load_n(&cs->to_host.head, __ATOMIC_ACQUIRE);
    uint32_t tx_tail = __atomic_load_n(&cs->to_guest.tail, __ATOMIC_ACQUIRE);
    ++i;
    if (s.shadow == Shadow::closing) continue;  // the gateway forgot it
    if (state == s.seen_state && flags == s.seen_flags && released == s.seen_released &&
        rx_head == s.seen_rx_head && tx_tail == s.seen_tx_tail)
      continue;
    s.seen_state = state;
    s.seen_flags = flags;
    s.seen_released = released;
    s.seen_rx_head = rx_head;
    s.seen_tx_tail = tx_tail;
    out.push_back(slot);
  }
}

void Channel::flush() {
  if (!m_dirty) return;
  m_dirty = false;
  if (!channel_take_kick(m_header, kSideGuest)) return;
  uint64_t one = 1;
  // A full counter (EAGAIN) means kicks are already pending: nothing lost.
  (void)!::write(m_to_guest_fd, &one, sizeof one);
  ++m_kicks_sent;
  if (m_guest_kick_hook) m_guest_kick_hook();
}

bool Channel::prepare_sleep() {
  flush();
  channel_announce_sleep(m_header, kSideHost);
  // After the fence: anything the guest published before it looked at
  // host_sleeping is visible here, and anything after will kick us.
  return channel_events(m_header, kSideGuest) != m_seen_guest_events;
}

void Channel::withdraw_sleep() { channel_clear_sleep(m_header, kSideHost); }

void Channel::finish_sleep() {
  channel_clear_sleep(m_header, kSideHost);
  if (m_to_host_fd < 0) return;  // watched edge-triggered (drop_to_host_fd)
  uint64_t value;
  (void)!::read(m_to_host_fd, &value, sizeof value);
}

}  // namespace shoal::pool
