// Channel's connections: the slot state machine of abi/channel.h from the
// host's side, over a private shadow of every slot the host uses.
//
// NOTE: the guest may change any shared word between two loads. Each decision
// below loads a word once; the shadow, not the region, says what the host
// owns, so a hostile value can only end (reset) that one connection.
#include <errno.h>

#include "pool/channel/channel.hpp"

namespace shoal::pool {

using namespace shoal::abi;

Error Channel::slot_error(uint32_t slot, const char* what, int code) const {
  return make_error("channel slot " + std::to_string(slot) + ": " + what, code);
}

void Channel::activate(uint32_t slot) {
  SlotShadow& s = m_slots[slot];
  if (s.active) return;
  s.active = true;
  s.active_index = static_cast<uint32_t>(m_active.size());
  m_active.push_back(slot);
}

void Channel::deactivate(uint32_t slot) {
  SlotShadow& s = m_slots[slot];
  if (s.active) {
    uint32_t last = m_active.back();
    m_active[s.active_index] = last;
    m_slots[last].active_index = s.active_index;
    m_active.pop_back();
  }
  s = SlotShadow{};
}

void Channel::mark_dirty() {
  channel_bump_events(m_header, kSideHost);
  m_dirty = true;
}

void Channel::refresh(uint32_t slot) const {
  SlotShadow& s = m_slots[slot];
  ChannelSlot* cs = channel_slot(&m_view, slot);
  uint32_t st = slot_state(cs);
  switch (s.shadow) {
    case Shadow::connecting:
      if (st == kSlotOpen)
        s.shadow = Shadow::open;
      else if (st == kSlotRefused)
        s.shadow = Shadow::refused;
      else if (st != kSlotConnecting)
        s.broken = true;  // only the host may withdraw a host-opened slot
      break;
    case Shadow::open:
      if (st != kSlotOpen) s.broken = true;
      break;
    case Shadow::pending:
      if (st != kSlotConnecting) s.broken = true;  // the guest gave up
      break;
    case Shadow::refused:
      if (st != kSlotRefused) s.broken = true;
      break;
    case Shadow::idle:
    case Shadow::closing:
      break;
  }
}

bool Channel::settle_closing(uint32_t slot) {
  if (m_slots[slot].shadow != Shadow::closing) return false;
  if (slot_state(channel_slot(&m_view, slot)) == kSlotOpen) return false;
  deactivate(slot);
  return true;
}

// ---- Host-opened -----------------------------------------------------------

Result<uint32_t> Channel::open(uint16_t port, uint32_t peer_ipv4, uint16_t peer_port) {
  if (port == 0) return make_error("channel: cannot open port 0", EINVAL);
  uint32_t half = m_view.slot_count / 2;
  for (uint32_t i = 0; i < half; ++i) {
    uint32_t slot = (m_open_cursor + i) % half;
    settle_closing(slot);
    if (m_slots[slot].shadow != Shadow::idle) continue;
    ChannelSlot* cs = channel_slot(&m_view, slot);
    if (!slot_claim(cs)) continue;  // a hostile guest holds it; skip
    __atomic_store_n(&cs->port, uint32_t{port}, __ATOMIC_RELAXED);
    __atomic_store_n(&cs->peer_ipv4, peer_ipv4, __ATOMIC_RELAXED);
    __atomic_store_n(&cs->peer_port, uint32_t{peer_port}, __ATOMIC_RELAXED);
    slot_publish(cs);
    SlotShadow& s = m_slots[slot];
    s = SlotShadow{};
    s.shadow = Shadow::connecting;
    s.seen_state = kSlotConnecting;
    activate(slot);
    m_open_cursor = (slot + 1) % half;
    mark_dirty();
    return slot;
  }
  return make_error("channel: every host slot is in use (" + std::to_string(half) + ")", EAGAIN);
}

bool Channel::cancel_if_unaccepted(uint32_t slot) {
  if (slot >= m_view.slot_count || m_slots[slot].shadow != Shadow::connecting) return false;
  if (!slot_cancel(channel_slot(&m_view, slot))) {
    refresh(slot);
    return false;
  }
  deactivate(slot);
  mark_dirty();
  return true;
}

// ---- Guest-opened ----------------------------------------------------------

std::optional<GuestOpen> Channel::next_guest_open() {
  uint32_t begin = m_view.slot_count / 2;
  uint32_t count = m_view.slot_count - begin;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t slot = begin + (m_guest_cursor + i) % count;
    settle_closing(slot);
    if (m_slots[slot].shadow != Shadow::idle) continue;
    ChannelSlot* cs = channel_slot(&m_view, slot);
    if (slot_state(cs) != kSlotConnecting) continue;
    // The acquire load of kConnecting orders these after the guest's fill.
    uint32_t port = __atomic_load_n(&cs->port, __ATOMIC_RELAXED);
    uint32_t service = __atomic_load_n(&cs->service, __ATOMIC_RELAXED);
    uint32_t dest = __atomic_load_n(&cs->dest_ipv4, __ATOMIC_RELAXED);
    if (port == 0 || port > 0xffff) {
      // Nothing can serve it: refuse at once rather than report garbage.
      slot_refuse(cs);
      mark_dirty();
      continue;
    }
    GuestOpen open;
    open.slot = slot;
    open.service = service < m_service_count ? service : kServiceNone;
    open.port = static_cast<uint16_t>(port);
    open.dest_ipv4 = dest;
    SlotShadow& s = m_slots[slot];
    s = SlotShadow{};
    s.shadow = Shadow::pending;
    s.seen_state = kSlotConnecting;
    activate(slot);
    m_guest_cursor = (slot - begin + 1) % count;
    return open;
  }
  return std::nullopt;
}

Result<void> Channel::accept(uint32_t slot) {
  if (slot >= m_view.slot_count || m_slots[slot].shadow != Shadow::pending)
    return slot_error(slot, "accept: not a reported guest connection", EINVAL);
  bool ok = slot_accept(channel_slot(&m_view, slot));
  mark_dirty();
  if (!ok) {
    deactivate(slot);
    return slot_error(slot, "accept: the guest withdrew the connection", ECONNABORTED);
  }
  m_slots[slot].shadow = Shadow::open;
  return {};
}

Result<void> Channel::refuse(uint32_t slot) {
  if (slot >= m_view.slot_count || m_slots[slot].shadow != Shadow::pending)
    return slot_error(slot, "refuse: not a reported guest connection", EINVAL);
  // Either way the host is done with it: the guest frees a refused slot.
  bool ok = slot_refuse(channel_slot(&m_view, slot));
  deactivate(slot);
  mark_dirty();
  if (!ok) return slot_error(slot, "refuse: the guest withdrew the connection", ECONNABORTED);
  return {};
}

// ---- Data --------------------------------------------------------------------

ConnStatus Channel::status(uint32_t slot) const {
  ConnStatus out;
  if (slot >= m_view.slot_count) return out;
  refresh(slot);
  const SlotShadow& s = m_slots[slot];
  switch (s.shadow) {
    case Shadow::idle:
    case Shadow::closing:
      return out;
    case Shadow::connecting:
      out.state = ConnState::connecting;
      break;
    case Shadow::open:
      out.state = ConnState::open;
      break;
    case Shadow::refused:
      out.state = ConnState::refused;
      break;
    case Shadow::pending:
      out.state = ConnState::pending;
      break;
  }
  ChannelEnd e = end(slot);
  uint32_t flags = slot_flags(e.slot, kSideGuest);
  uint32_t released = slot_released(e.slot);
  bool open_or_connecting = s.shadow == Shadow::open || s.shadow == Shadow::connecting;
  out.peer_shut_write = open_or_connecting && (flags & kShutWrite) != 0;
  out.peer_closed = s.shadow == Shadow::open && (released & kReleasedGuest) != 0;
  out.peer_reset = s.broken || (open_or_connecting && (flags & kReset) != 0);
  if (s.shadow == Shadow::open) {
    int64_t readable = ring_readable(e.rx, e.ring_size);
    int64_t space = ring_space(e.tx, e.ring_size);
    if (readable < 0 || space < 0) {
      m_slots[slot].broken = true;
      out.peer_reset = true;
      return out;
    }
    out.readable = static_cast<uint32_t>(readable);
    if (!s.host_shut && !out.peer_closed && !out.peer_reset) out.writable = static_cast<uint32_t>(space);
  } else if (s.shadow == Shadow::connecting && !s.host_shut) {
    int64_t space = ring_space(e.tx, e.ring_size);
    out.writable = space > 0 ? static_cast<uint32_t>(space) : 0;
  }
  return out;
}

Result<size_t> Channel::write(uint32_t slot, std::span<const uint8_t> data) {
  if (slot >= m_view.slot_count) return slot_error(slot, "write: no such slot", EBADF);
  refresh(slot);
  SlotShadow& s = m_slots[slot];
  if (s.shadow == Shadow::refused) return slot_error(slot, "write: connection refused", ECONNREFUSED);
  if (s.shadow != Shadow::open && s.shadow != Shadow::connecting)
    return slot_error(slot, "write: not connected", ENOTCONN);
  if (s.host_shut) return slot_error(slot, "write: after shutdown", EPIPE);
  ChannelEnd e = end(slot);
  uint32_t flags = slot_flags(e.slot, kSideGuest);
  if (s.broken || (flags & kReset))
    return slot_error(slot, "write: connection reset by the guest", ECONNRESET);
  if (s.shadow == Shadow::open && (slot_released(e.slot) & kReleasedGuest))
    return slot_error(slot, "write: the guest closed the connection", EPIPE);
  if (data.empty()) return size_t{0};
  int64_t n = ring_write(e.tx, e.tx_data, e.ring_size, data.data(), data.size());
  if (n < 0) {
    s.broken = true;
    return slot_error(slot, "write: the guest corrupted the ring", ECONNRESET);
  }
  if (n > 0) mark_dirty();
  return static_cast<size_t>(n);
}

Result<ReadResult> Channel::read(uint32_t slot, std::span<uint8_t> buf) {
  if (slot >= m_view.slot_count) return slot_error(slot, "read: no such slot", EBADF);
  refresh(slot);
  SlotShadow& s = m_slots[slot];
  if (s.shadow == Shadow::refused) return slot_error(slot, "read: connection refused", ECONNREFUSED);
  if (s.shadow == Shadow::connecting || s.shadow == Shadow::pending) {
    if (s.broken) return slot_error(slot, "read: connection reset by the guest", ECONNRESET);
    return ReadResult{};
  }
  if (s.shadow != Shadow::open) return slot_error(slot, "read: not connected", ENOTCONN);
  ChannelEnd e = end(slot);
  // Flags before the ring: bytes the guest wrote before shutting its side are
  // visible once its kShutWrite is (release/acquire), so "empty and shut"
  // really is the end.
  uint32_t flags = slot_flags(e.slot, kSideGuest);
  uint32_t released = slot_released(e.slot);
  if (s.broken || (flags & kReset))
    return slot_error(slot, "read: connection reset by the guest", ECONNRESET);
  ReadResult r;
  if (!buf.empty()) {
    uint32_t tail_before = __atomic_load_n(&e.rx->tail, __ATOMIC_RELAXED);  // ours: we consume
    int64_t n = ring_read(e.rx, e.rx_data, e.ring_size, buf.data(), buf.size());
    if (n < 0) {
      s.broken = true;
      return slot_error(slot, "read: the guest corrupted the ring", ECONNRESET);
    }
    r.bytes = static_cast<size_t>(n);
    if (n > 0) {
      // Room freed. A guest writer waits for room only after it found the
      // ring full (as Linux wakes a TCP writer only after SOCK_NOSPACE), so
      // only then is the consumption worth a kick; otherwise the guest sees
      // it the next time it looks. Kicking for every response read woke
      // every idle instance a second time per request.
      channel_bump_events(m_header, kSideHost);
      if (ring_producer_may_wait(e.rx, tail_before, e.ring_size)) m_dirty = true;
      return r;
    }
  } else {
    int64_t n = ring_readable(e.rx, e.ring_size);
    if (n < 0) {
      s.broken = true;
      return slot_error(slot, "read: the guest corrupted the ring", ECONNRESET);
    }
    if (n > 0) return r;
  }
  r.eof = (flags & kShutWrite) != 0 || (released & kReleasedGuest) != 0;
  return r;
}

Result<void> Channel::shutdown_write(uint32_t slot) {
  if (slot >= m_view.slot_count) return slot_error(slot, "shutdown: no such slot", EBADF);
  SlotShadow& s = m_slots[slot];
  if (s.shadow != Shadow::open && s.shadow != Shadow::connecting)
    return slot_error(slot, "shutdown: not connected", ENOTCONN);
  if (!s.host_shut) {
    s.host_shut = true;
    slot_set_flags(channel_slot(&m_view, slot), kSideHost, kShutWrite);
    mark_dirty();
  }
  return {};
}

void Channel::release_slot(uint32_t slot, uint32_t flags) {
  ChannelSlot* cs = channel_slot(&m_view, slot);
  if (slot_state(cs) != kSlotOpen) {
    // The guest broke the protocol (or freed the slot after its own release
    // raced a reset): nothing of the host's is left in it.
    deactivate(slot);
    return;
  }
  if (flags) slot_set_flags(cs, kSideHost, flags);
  mark_dirty();
  if (slot_release(cs, kSideHost)) {
    deactivate(slot);
    return;
  }
  SlotShadow& s = m_slots[slot];
  s.shadow = Shadow::closing;
  s.seen_state = kSlotOpen;
}

void Channel::close(uint32_t slot) {
  if (slot >= m_view.slot_count) return;
  refresh(slot);
  SlotShadow& s = m_slots[slot];
  ChannelSlot* cs = channel_slot(&m_view, slot);
  switch (s.shadow) {
    case Shadow::idle:
    case Shadow::closing:
      return;
    case Shadow::connecting:
      if (slot_cancel(cs)) {
        deactivate(slot);
        mark_dirty();
        return;
      }
      refresh(slot);
      if (s.shadow == Shadow::connecting) {  // broken: the guest moved it elsewhere
        deactivate(slot);
        return;
      }
      return close(slot);
    case Shadow::refused:
      slot_free_refused(cs);
      deactivate(slot);
      return;
    case Shadow::pending:
      slot_refuse(cs);
      deactivate(slot);
      mark_dirty();
      return;
    case Shadow::open:
      release_slot(slot, s.host_shut ? 0u : uint32_t{kShutWrite});
      return;
  }
}

void Channel::reset(uint32_t slot) {
  if (slot >= m_view.slot_count) return;
  refresh(slot);
  if (m_slots[slot].shadow == Shadow::open) {
    release_slot(slot, kReset);
    return;
  }
  close(slot);
}

// ---- Readiness -------------------------------------------------------------

bool Channel::listening(uint16_t port) const { return port != 0 && channel_listening(m_header, port); }

std::vector<uint16_t> Channel::listen_ports() const {
  std::vector<uint16_t> out;
  for (uint32_t i = 0; i < kMaxListenPorts; ++i) {
    uint32_t p = __atomic_load_n(&m_header->listen_ports[i], __ATOMIC_ACQUIRE);
    if (p == 0 || p > 0xffff) continue;
    bool seen = false;
    for (uint16_t q : out) seen |= q == p;
    if (!seen) out.push_back(static_cast<uint16_t>(p));
  }
  return out;
}

}  // namespace shoal::pool
