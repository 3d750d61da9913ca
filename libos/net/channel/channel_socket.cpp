// Channel socket data path: receive, send, readiness, close; and what the channel
// scan reports about a socket's slot.
#include "net/channel/channel_socket.hpp"

#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/alloc.hpp"
#include "net/channel/channel.hpp"
#include "net/channel/ports.hpp"
#include "net/channel/slots.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/ioctl.hpp"
#include "uapi/poll.hpp"
#include "uapi/socket.hpp"

namespace libos::net {

using namespace shoal::abi;

namespace {


}  // namespace

long socket_create(int flags, ChannelSocket** out) {
  ChannelSocket* s = fs::make<ChannelSocket>();
  if (s == nullptr) return -ENOMEM;
  s->m_flags = uapi::O_RDWR | (flags & uapi::SOCK_NONBLOCK ? uapi::O_NONBLOCK : 0);
  *out = s;
  return 0;
}

bool ChannelSocket::peer_name(Endpoint* out) const {
  if (m_state != SockState::connected) return false;
  *out = Endpoint{m_peer_ip, m_peer_port};
  return true;
}

void ChannelSocket::sync_local() {
  m_local->m_flags = m_flags;
  m_local->m_rcvtimeo_ns = m_rcvtimeo_ns;
  m_local->m_sndtimeo_ns = m_sndtimeo_ns;
}

int ChannelSocket::take_error() {
  if (m_local != nullptr && m_error == 0) return m_local->take_error();
  int err = m_error;
  m_error = 0;
  return err;
}

// A message is one recv or send per buffer, as the channel moves bytes.
long ChannelSocket::sendmsg(SockMsg* msg, int flags) {
  if (m_local != nullptr) {
    sync_local();
    return m_local->sendmsg(msg, flags);
  }
  long total = 0;
  for (size_t i = 0; i < msg->iovlen; ++i) {
    if (msg->iov[i].len == 0) continue;
    long n = send(msg->iov[i].base, msg->iov[i].len, flags);
    if (n < 0) return total > 0 ? total : n;
    total += n;
    if (static_cast<size_t>(n) < msg->iov[i].len) break;
  }
  // Nothing to send still asks the connection (errors, EPIPE).
  if (iov_total(msg->iov, msg->iovlen) == 0) return send(nullptr, 0, flags);
  return total;
}

long ChannelSocket::recvmsg(SockMsg* msg, int flags) {
  if (m_local != nullptr) {
    sync_local();
    return m_local->recvmsg(msg, flags);
  }
  long total = 0;
  bool peek = (flags & uapi::MSG_PEEK) != 0;
  for (size_t i = 0; i < msg->iovlen; ++i) {
    if (msg->iov[i].len == 0) continue;
    // After the first bytes, take only what is there already (a stream
    // read returns what is available, it does not wait to fill every buffer).
    int f = total > 0 ? flags | uapi::MSG_DONTWAIT : flags;
    long n = recv(msg->iov[i].base, msg->iov[i].len, f);
    if (n < 0) {
      if (total > 0) break;
      return n;
    }
    total += n;
    // A peek cannot look past the first buffer's bytes without consuming.
    if (n == 0 || static_cast<size_t>(n) < msg->iov[i].len || peek) break;
  }
  if (iov_total(msg->iov, msg->iovlen) == 0) return recv(nullptr, 0, flags);
  return total;
}

void ChannelSocket::drop_slot() {
  if (m_slot >= 0) slot_use(static_cast<uint32_t>(m_slot)) = SlotUse{nullptr, false};
  m_slot = -1;
}

// The connection ends abnormally (a reset, a refusal, a broken ring, a slot
// the host took away): both directions shut, err pending for the program.
// tell_host: our end still owns the slot; flag the reset and release it.
void ChannelSocket::abort(int err, bool tell_host) {
  if (m_slot >= 0 && tell_host) {
    ChannelSlot* s = slot_at(static_cast<uint32_t>(m_slot));
    slot_set_flags(s, kSideGuest, kReset);
    slot_release(s, kSideGuest);
    channel_changed();
  }
  drop_slot();
  if (m_state == SockState::connecting) m_connect_unreported = true;
  m_state = SockState::closed;
  m_aborted = true;
  m_error = err;
  changed(kPollAllEvents);
}

void ChannelSocket::slot_moved() {
  ChannelSlot* s = slot_at(static_cast<uint32_t>(m_slot));
  uint32_t state = slot_state(s);
  if (m_state == SockState::connecting) {
    if (state == kSlotConnecting) return;
    if (state == kSlotOpen) {
      m_state = SockState::connected;
      m_seen_rx_head = __atomic_load_n(&s->to_guest.head, __ATOMIC_ACQUIRE);
      m_seen_tx_tail = __atomic_load_n(&s->to_host.tail, __ATOMIC_ACQUIRE);
      m_seen_flags = slot_flags(s, kSideHost);
      m_seen_released = slot_released(s);
      // A reset that came with the acceptance is the next call's news:
      // connect() itself succeeded, as on Linux when the peer accepts and
      // aborts at once.
      changed(kPollAllEvents);
      return;
    }
    // Refused: the opener frees the slot. Any other state is the host
    // breaking the protocol; the slot is no longer ours to touch.
    if (state == kSlotRefused && slot_free_refused(s)) channel_changed();
    abort(ECONNREFUSED, false);
    return;
  }
  if (state != kSlotOpen) {
    abort(ECONNRESET, false);
    return;
  }
  uint32_t head = __atomic_load_n(&s->to_guest.head, __ATOMIC_ACQUIRE);
  uint32_t tail = __atomic_load_n(&s->to_host.tail, __ATOMIC_ACQUIRE);
  uint32_t flags = slot_flags(s, kSideHost);
  uint32_t released = slot_released(s);
  uint32_t key = 0;
  if (head != m_seen_rx_head) key |= uapi::POLLIN | uapi::POLLRDNORM;
  if (tail != m_seen_tx_tail) key |= uapi::POLLOUT | uapi::POLLWRNORM;
  if (flags != m_seen_flags || released != m_seen_released) key |= kPollAllEvents;
  m_seen_rx_head = head;
  m_seen_tx_tail = tail;
  m_seen_flags = flags;
  m_seen_released = released;
  if (flags & kReset) {
    abort(ECONNRESET, true);
    return;
  }
  if (key != 0) changed(key);
}

long ChannelSocket::recv(void* buf, size_t len, int flags) {
  bool nonblock = nonblocking() || (flags & uapi::MSG_DONTWAIT) != 0;
  bool peek = (flags & uapi::MSG_PEEK) != 0;
  bool waitall = (flags & uapi::MSG_WAITALL) != 0 && !peek && !nonblock;
  uint64_t until = deadline(m_rcvtimeo_ns);
  auto* out = static_cast<uint8_t*>(buf);
  size_t done = 0;
  for (;;) {
    if (m_state == SockState::listening) return -ENOTCONN;
    if (m_state == SockState::closed) {
      if (done > 0) return static_cast<long>(done);
      if (m_error != 0) {
        int err = m_error;
        m_error = 0;
        return -err;
      }
      return m_aborted || m_shut_rd ? 0 : -ENOTCONN;
    }
    if (m_state == SockState::connected) {
      ChannelEnd end = slot_end(static_cast<uint32_t>(m_slot));
      // Flags before the ring: bytes the host wrote before it shut its side
      // are visible once its flag is (release/acquire).
      uint32_t peer = slot_flags(end.slot, kSideHost);
      uint32_t released = slot_released(end.slot);
      uint32_t tail_before = __atomic_load_n(&end.rx->tail, __ATOMIC_RELAXED);  // ours: we consume
      int64_t n = peek ? ring_peek(end.rx, end.rx_data, end.ring_size, out + done, len - done)
                       : ring_read(end.rx, end.rx_data, end.ring_size, out + done, len - done);
      if (n == kRingCorrupt) {
        abort(ECONNRESET, true);
        continue;
      }
      if (n > 0) {
        // Room freed: the host waits for it (and needs a kick) only if it
        // found the ring full (channel_consumed).
        if (!peek) channel_consumed(end.rx, tail_before, end.ring_size);
        done += static_cast<size_t>(n);
        if (!waitall || done == len) return static_cast<long>(done);
        continue;
      }
      if (peer & kReset) {
        abort(ECONNRESET, true);
        continue;
      }
      if (len == 0) return 0;
      if ((peer & kShutWrite) || (released & kReleasedHost) || m_shut_rd) return static_cast<long>(done);
    }
    if (nonblock) return done > 0 ? static_cast<long>(done) : -EAGAIN;
    if (long err = wait(until); err < 0) return done > 0 ? static_cast<long>(done) : err;
  }
}

long ChannelSocket::send(const void* buf, size_t len, int flags) {
  bool nonblock = nonblocking() || (flags & uapi::MSG_DONTWAIT) != 0;
  uint64_t until = deadline(m_sndtimeo_ns);
  auto* in = static_cast<const uint8_t*>(buf);
  size_t done = 0;
  for (;;) {
    // Linux: sending on a socket that is not connected (never was, listens,
    // or was reset) is EPIPE, after any pending error.
    if (m_state == SockState::listening) return broken_pipe(flags);
    if (m_state == SockState::closed) {
      if (done > 0) return static_cast<long>(done);
      if (m_error != 0) {
        int err = m_error;
        m_error = 0;
        return -err;
      }
      return broken_pipe(flags);
    }
    if (m_state == SockState::connected) {
      if (m_shut_wr) return done > 0 ? static_cast<long>(done) : broken_pipe(flags);
      ChannelEnd end = slot_end(static_cast<uint32_t>(m_slot));
      uint32_t peer = slot_flags(end.slot, kSideHost);
      if (peer & kReset) {
        abort(ECONNRESET, true);
        continue;
      }
      // The host closed its end for good: nobody will read these bytes.
      if (slot_released(end.slot) & kReleasedHost)
        return done > 0 ? static_cast<long>(done) : broken_pipe(flags);
      if (len == 0) return 0;
      int64_t n = ring_write(end.tx, end.tx_data, end.ring_size, in + done, len - done);
      if (n == kRingCorrupt) {
        abort(ECONNRESET, true);
        continue;
      }
      if (n > 0) {
        channel_changed();
        done += static_cast<size_t>(n);
        if (done == len) return static_cast<long>(done);
        continue;
      }
    }
    if (nonblock) return done > 0 ? static_cast<long>(done) : -EAGAIN;
    if (long err = wait(until); err < 0) return done > 0 ? static_cast<long>(done) : err;
  }
}

// Linux's tcp_poll, in the terms of this socket.
int16_t ChannelSocket::poll(int16_t events) {
  if (m_state == SockState::listening) {
    bool pending = m_qcount > 0 || m_local_count > 0;
    return pending ? static_cast<int16_t>(events & (uapi::POLLIN | uapi::POLLRDNORM)) : 0;
  }
  if (m_local != nullptr) return m_local->poll(events);
  int mask = 0;
  bool rcv_shut = m_shut_rd || m_aborted;
  bool snd_shut = m_shut_wr || m_aborted;
  bool writable = false;
  bool readable = false;
  if (m_state == SockState::connected) {
    ChannelEnd end = slot_end(static_cast<uint32_t>(m_slot));
    uint32_t peer = slot_flags(end.slot, kSideHost);
    uint32_t released = slot_released(end.slot);
    if ((peer & (kShutWrite | kReset)) || (released & kReleasedHost)) rcv_shut = true;
    if (peer & kReset) mask |= uapi::POLLERR;
    int64_t used = ring_readable(end.rx, end.ring_size);
    int64_t space = ring_space(end.tx, end.ring_size);
    // A broken ring reads as ready: the call that follows reports the reset.
    readable = used != 0;
    writable = space != 0 || (released & kReleasedHost);
  } else if (m_state == SockState::closed) {
    writable = true;  // a socket that never connected polls writable, as Linux
  }
  if ((rcv_shut && snd_shut) || m_state == SockState::closed) mask |= uapi::POLLHUP;
  if (rcv_shut) mask |= uapi::POLLIN | uapi::POLLRDNORM | uapi::POLLRDHUP;
  if (m_state != SockState::connecting) {
    if (readable) mask |= uapi::POLLIN | uapi::POLLRDNORM;
    if (snd_shut || writable) mask |= uapi::POLLOUT | uapi::POLLWRNORM;
  }
  if (m_error != 0) mask |= uapi::POLLERR;
  return static_cast<int16_t>(mask & (events | uapi::POLLHUP | uapi::POLLERR));
}

long ChannelSocket::ioctl(unsigned long request, unsigned long arg) {
  // The caller checked that arg is a writable int for FIONREAD; TIOCOUTQ too.
  auto* out = reinterpret_cast<int*>(arg);
  if (m_local != nullptr && (request == uapi::FIONREAD || request == uapi::TIOCOUTQ)) {
    if (!user_writable(out, sizeof(int))) return -EFAULT;
    return m_local->ioctl(request, arg);
  }
  if (request == uapi::FIONREAD || request == uapi::TIOCOUTQ) {
    if (!user_writable(out, sizeof(int))) return -EFAULT;
    if (m_state == SockState::listening) return -EINVAL;
    int64_t n = 0;
    if (m_state == SockState::connected) {
      ChannelEnd end = slot_end(static_cast<uint32_t>(m_slot));
      n = request == uapi::FIONREAD ? ring_readable(end.rx, end.ring_size)
                                  : end.ring_size - ring_space(end.tx, end.ring_size);
      if (n < 0 || n > end.ring_size) n = 0;
    }
    *out = static_cast<int>(n);
    return 0;
  }
  return -ENOTTY;
}

}  // namespace libos::net
