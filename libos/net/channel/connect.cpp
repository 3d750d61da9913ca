// Channel socket connection management: bind, listen, accept, connect, shutdown,
// close; and the channel scan that accepts or refuses what the host opens and
// reports slot changes to their sockets.
#include "core/klib.hpp"
#include "vfs/alloc.hpp"
#include "vfs/fdtable.hpp"
#include "net/channel/channel.hpp"
#include "net/channel/ports.hpp"
#include "net/channel/slots.hpp"
#include "net/channel/channel_socket.hpp"
#include "uapi/poll.hpp"
#include "uapi/socket.hpp"

namespace libos::net {

using namespace shoal::abi;

namespace {

SlotUse g_use[kMaxChannelSlots];
bool g_rescan = false;

// Linux clamps listen()'s backlog to net.core.somaxconn.

// Gives up a slot this guest holds: a reset if asked, else a FIN (unless the
// guest already sent one), then the release bit.
void finish_slot(uint32_t index, bool reset) {
  ChannelSlot* s = slot_at(index);
  slot_set_flags(s, kSideGuest, reset ? uint32_t{kReset} : uint32_t{kShutWrite});
  slot_release(s, kSideGuest);
  g_use[index] = SlotUse{nullptr, false};
  channel_changed();
}

}  // namespace

SlotUse& slot_use(uint32_t index) { return g_use[index]; }

ChannelSlot* slot_at(uint32_t index) { return channel_slot(channel_view(), index); }

ChannelEnd slot_end(uint32_t index) { return channel_end(channel_view(), index, kSideGuest); }

void request_rescan() { g_rescan = true; }

bool take_rescan() {
  bool r = g_rescan;
  g_rescan = false;
  return r;
}

long ChannelSocket::bind(uint32_t ip, uint16_t port) {
  if (m_bound || m_state != SockState::closed || m_slot >= 0) return -EINVAL;
  return port_bind(this, ip, port);
}

long ChannelSocket::listen(int backlog) {
  if (m_state == SockState::listening) {
    m_backlog = backlog < 0 ? 0 : (backlog > uapi::SOMAXCONN ? uapi::SOMAXCONN : backlog);
    return 0;
  }
  if (m_state != SockState::closed || m_slot >= 0) return -EINVAL;
  if (!m_bound) {
    long err = port_bind(this, 0, 0);
    if (err < 0) return err;
  } else if (!m_reuseport && port_has_listener(m_local_port, this)) {
    return -EADDRINUSE;
  }
  m_state = SockState::listening;
  m_aborted = false;
  m_backlog = backlog < 0 ? 0 : (backlog > uapi::SOMAXCONN ? uapi::SOMAXCONN : backlog);
  if (channel_present()) {
    // The listen table is the instance's readiness signal to the pool.
    // A full table leaves the port listening here but unseen by the host.
    channel_listen_add(channel_header(), m_local_port);
    channel_changed();
    request_rescan();  // the host may have opened connections already
  }
  return 0;
}

void ChannelSocket::offer(uint32_t index) {
  // Linux's accept queue holds backlog + 1 connections; past that the
  // connection waits in kConnecting (the host sees no answer yet) until
  // accept() makes room and asks for a rescan.
  int room = m_backlog + 1 < kQueueMax ? m_backlog + 1 : kQueueMax;
  if (m_qcount >= room) return;
  if (!slot_accept(slot_at(index))) return;  // the host gave up first
  m_queue[(m_qhead + m_qcount) % kQueueMax] = static_cast<uint16_t>(index);
  ++m_qcount;
  g_use[index] = SlotUse{this, true};
  channel_changed();
  changed(uapi::POLLIN | uapi::POLLRDNORM);
}

bool ChannelSocket::offer_local(const LocalConn& conn) {
  int room = m_backlog + 1 < kQueueMax ? m_backlog + 1 : kQueueMax;
  if (room > kLocalQueueMax) room = kLocalQueueMax;
  if (m_qcount + m_local_count >= room) return false;
  m_local_queue[(m_local_head + m_local_count) % kLocalQueueMax] = conn;
  ++m_local_count;
  changed(uapi::POLLIN | uapi::POLLRDNORM);
  return true;
}

long ChannelSocket::accept(int flags, SocketFile** out) {
  if (m_state != SockState::listening) return -EINVAL;
  uint64_t until = deadline(m_rcvtimeo_ns);
  while (m_qcount == 0 && m_local_count == 0) {
    if (nonblocking()) return -EAGAIN;
    if (long err = wait(until); err < 0) return err;
    if (m_state != SockState::listening) return -EINVAL;  // shut down meanwhile
  }
  ChannelSocket* s = nullptr;
  long err = socket_create(flags, &s);
  if (err < 0) return err;
  if (m_local_count > 0) {
    // A connection from this instance itself over the loopback.
    LocalConn c = m_local_queue[m_local_head];
    m_local_head = (m_local_head + 1) % kLocalQueueMax;
    --m_local_count;
    s->m_state = SockState::connected;
    s->m_local = c.end;
    c.end->m_owner = s;
    s->m_local_ip = c.ip;
    s->m_local_port = m_local_port;
    s->m_peer_ip = c.ip;
    s->m_peer_port = c.peer_port;
    s->m_nodelay = m_nodelay;
    s->m_keepalive = m_keepalive;
    *out = s;
    return 0;
  }
  uint32_t index = m_queue[m_qhead];
  m_qhead = (m_qhead + 1) % kQueueMax;
  --m_qcount;
  request_rescan();  // room in the backlog again
  ChannelSlot* slot = slot_at(index);
  s->m_state = SockState::connected;
  s->m_slot = static_cast<int>(index);
  s->m_local_ip = m_local_ip;
  s->m_local_port = m_local_port;
  s->m_peer_ip = __atomic_load_n(&slot->peer_ipv4, __ATOMIC_RELAXED);
  s->m_peer_port = static_cast<uint16_t>(__atomic_load_n(&slot->peer_port, __ATOMIC_RELAXED));
  s->m_nodelay = m_nodelay;
  s->m_keepalive = m_keepalive;
  g_use[index] = SlotUse{s, false};
  // Nothing seen yet: the first scan reports whatever the host did already.
  s->m_seen_flags = s->m_seen_released = 0;
  s->m_seen_rx_head = s->m_seen_tx_tail = 0;
  s->slot_moved();
  *out = s;
  return 0;
}

long ChannelSocket::connect(int family, uint32_t ip, uint16_t port) {
  // AF_UNSPEC (Linux: disconnect) is refused on a channel stream, as it
  // always was here.
  if (family != uapi::AF_INET) return -EAFNOSUPPORT;
  return connect_channel(ip, port);
}

long ChannelSocket::connect_channel(uint32_t ip, uint16_t port) {
  switch (m_state) {
    case SockState::connected:
    case SockState::listening:
      return -EISCONN;
    case SockState::connecting:
      if (nonblocking()) return -EALREADY;
      break;
    case SockState::closed:
      if (m_connect_unreported) {
        // The outcome of an earlier non-blocking connect, reported once;
        // then the socket is as new (Linux disconnects it).
        m_connect_unreported = false;
        int err = m_error != 0 ? m_error : static_cast<int>(ECONNABORTED);
        m_error = 0;
        m_aborted = false;
        return -err;
      }
      // Nothing listens on the loopback here (the guest cannot connect to
      // itself); any other address must be a service of the pool.
      if (is_loopback(ip)) return -ECONNREFUSED;
      int service = channel_present() ? service_by_ipv4(ip) : -1;
      if (service < 0) return -ENETUNREACH;
      if (!m_bound) {
        long err = port_bind(this, 0, 0);
        if (err < 0) return err;
      }
      const ChannelView* view = channel_view();
      int claimed = -1;
      for (uint32_t i = channel_guest_slots_begin(view); i < channel_guest_slots_end(view); ++i) {
        if (g_use[i].socket == nullptr && slot_claim(slot_at(i))) {
          claimed = static_cast<int>(i);
          break;
        }
      }
      if (claimed < 0) return -EADDRNOTAVAIL;  // as Linux out of local ports
      ChannelSlot* slot = slot_at(static_cast<uint32_t>(claimed));
      __atomic_store_n(&slot->port, uint32_t{port}, __ATOMIC_RELAXED);
      __atomic_store_n(&slot->service, static_cast<uint32_t>(service), __ATOMIC_RELAXED);
      __atomic_store_n(&slot->dest_ipv4, ip, __ATOMIC_RELAXED);
      slot_publish(slot);
      g_use[claimed] = SlotUse{this, false};
      m_slot = claimed;
      m_state = SockState::connecting;
      m_aborted = false;
      m_error = 0;
      m_shut_rd = m_shut_wr = false;
      m_peer_ip = ip;
      m_peer_port = port;
      channel_changed();
      if (nonblocking()) {
        m_connect_unreported = true;
        return -EINPROGRESS;
      }
      break;
  }
  uint64_t until = deadline(m_sndtimeo_ns);
  while (m_state == SockState::connecting) {
    long err = wait(until);
    // Interrupted or timed out: the attempt goes on, as on Linux.
    if (err == -EAGAIN) return -EINPROGRESS;
    if (err < 0) return err;
  }
  m_connect_unreported = false;
  if (m_state == SockState::connected) return 0;
  int err = m_error != 0 ? m_error : static_cast<int>(ECONNABORTED);
  m_error = 0;
  m_aborted = false;
  return -err;
}

long ChannelSocket::shutdown(int how) {
  if (how < uapi::SHUT_RD || how > uapi::SHUT_RDWR) return -EINVAL;
  if (m_local != nullptr) {
    long r = m_local->shutdown(how);
    changed(kPollAllEvents);
    return r;
  }
  bool rd = how != uapi::SHUT_WR, wr = how != uapi::SHUT_RD;
  switch (m_state) {
    case SockState::closed:
      return -ENOTCONN;
    case SockState::listening:
      // As Linux: SHUT_RD on a listener stops it (accept() then fails).
      if (!rd) return 0;
      release_listener();
      m_state = SockState::closed;
      changed(kPollAllEvents);
      return 0;
    case SockState::connecting:
      cancel_connect();
      m_state = SockState::closed;
      changed(kPollAllEvents);
      return 0;
    case SockState::connected:
      break;
  }
  if (rd) m_shut_rd = true;
  if (wr && !m_shut_wr) {
    m_shut_wr = true;
    slot_set_flags(slot_at(static_cast<uint32_t>(m_slot)), kSideGuest, kShutWrite);
    channel_changed();
  }
  changed(kPollAllEvents);
  return 0;
}

// Unaccepted connections are reset, as Linux does when a listener closes.
void ChannelSocket::release_listener() {
  while (m_local_count > 0) {
    m_local_queue[m_local_head].end->put();
    m_local_head = (m_local_head + 1) % kLocalQueueMax;
    --m_local_count;
  }
  while (m_qcount > 0) {
    finish_slot(m_queue[m_qhead], true);
    m_qhead = (m_qhead + 1) % kQueueMax;
    --m_qcount;
  }
  if (channel_present() && !port_has_listener(m_local_port, this)) {
    channel_listen_remove(channel_header(), m_local_port);
    channel_changed();
  }
}

// Withdraws a connect the host has not answered; if it answered meanwhile,
// frees a refusal or resets an opened slot.
void ChannelSocket::cancel_connect() {
  if (m_slot < 0) return;
  uint32_t index = static_cast<uint32_t>(m_slot);
  ChannelSlot* slot = slot_at(index);
  if (slot_cancel(slot) || slot_free_refused(slot)) {
    g_use[index] = SlotUse{nullptr, false};
    channel_changed();
  } else if (slot_state(slot) == kSlotOpen) {
    finish_slot(index, true);
  } else {
    g_use[index] = SlotUse{nullptr, false};  // the host broke the protocol
  }
  m_slot = -1;
}

void ChannelSocket::release() {
  switch (m_state) {
    case SockState::listening:
      release_listener();
      break;
    case SockState::connecting:
      cancel_connect();
      break;
    case SockState::connected: {
      if (m_local != nullptr) {
        m_local->put();
        m_local = nullptr;
        break;
      }
      // Closing with unread bytes, or with SO_LINGER at zero, resets the
      // connection as Linux does; otherwise the host reads a FIN after the
      // bytes already in the ring.
      ChannelEnd end = slot_end(static_cast<uint32_t>(m_slot));
      bool unread = ring_readable(end.rx, end.ring_size) != 0;
      finish_slot(static_cast<uint32_t>(m_slot), unread || (m_linger_on && m_linger_secs == 0));
      m_slot = -1;
      break;
    }
    case SockState::closed:
      break;
  }
  port_unbind(this);
  fs::destroy(this);
}

void socket_scan() {
  const ChannelView* view = channel_view();
  uint32_t host_end = channel_host_slots_end(view);
  for (uint32_t i = 0; i < view->slot_count; ++i) {
    SlotUse use = g_use[i];
    if (use.socket == nullptr) {
      if (i >= host_end) continue;
      ChannelSlot* slot = slot_at(i);
      if (slot_state(slot) != kSlotConnecting) continue;
      uint32_t port = __atomic_load_n(&slot->port, __ATOMIC_RELAXED);
      ChannelSocket* listener = port <= 0xffff ? port_listener(static_cast<uint16_t>(port)) : nullptr;
      if (listener != nullptr) {
        listener->offer(i);
      } else if (slot_refuse(slot)) {
        channel_changed();
      }
      continue;
    }
    if (!use.queued) use.socket->slot_moved();
  }
}

void sockets_rebind() {
  for (uint32_t i = 0; i < kMaxChannelSlots; ++i) {
    SlotUse use = g_use[i];
    if (use.socket == nullptr) continue;
    g_use[i] = SlotUse{nullptr, false};
    if (use.queued) {
      // Unaccepted: the listener's queue only holds slot numbers of the old region.
      use.socket->m_qcount = 0;
      use.socket->m_qhead = 0;
    } else {
      use.socket->lose_slot();
    }
  }
  ports_publish_listeners();
  g_rescan = true;
}

}  // namespace libos::net
