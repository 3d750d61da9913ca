#include "splice.hpp"

#include "pool/channel/channel.hpp"

namespace shoal::pool {
namespace {

constexpr size_t kChunk = 64 * 1024;

}  // namespace

void Splice::start(Gateway& gw, Instance& from, uint32_t from_slot, Service& target, uint32_t port) {
  Splice* s = gw.adopt(std::unique_ptr<Splice>(new Splice(gw, from, from_slot, target, port)));
  s->pick();
}

Splice::Splice(Gateway& gw, Instance& from, uint32_t from_slot, Service& target, uint32_t port)
    : m_gw(gw), m_target(target), m_port(port) {
  m_a.owner = this;
  m_a.instance = &from;
  m_a.slot = from_slot;
  m_b.owner = this;
  from.slot_handlers[from_slot] = &m_a;
  m_start_ns = EventLoop::now_ns();
  ++gw.mutable_stats().splices;
  // A connect that cannot be placed within the hold timeout is refused.
  m_timer = gw.loop().after(gw.config().hold_timeout, [this] {
    m_timer = 0;
    if (!m_connected) finish(true);
  });
}

Splice::~Splice() {
  // Only ~Gateway destroys a splice that has not finished (its instances are
  // still there then): no slot may keep pointing at its ends.
  if (m_timer != 0) m_gw.loop().cancel(m_timer);
  if (m_done) return;
  for (End* e : {&m_a, &m_b})
    if (e->instance != nullptr && e->instance->slot_handlers[e->slot] == e) e->instance->slot_handlers[e->slot] = nullptr;
}

void Splice::pick() {
  // No free slot on the instance picked: wait in the queue, as a
  // call does (the pick was admitted; a slot release wakes it).
  if (!place(m_gw.pool().pick(m_target, RequestKey{}, nullptr))) m_gw.hold(m_target, this, /*admitted=*/true);
}

// False when the picked instance has no free slot (the pick is given back).
bool Splice::place(Pick p) {
  if (p.kind == Pick::wait) {
    if (!m_gw.hold(m_target, this)) finish(true);
    return true;
  }
  if (p.kind == Pick::reject) {
    finish(true);
    return true;
  }
  Instance& i = *p.chosen;
  auto slot = i.channel->open(m_port, 0, 0);
  if (!slot.ok()) {
    m_gw.pool().cancel(m_target, i);
    return false;
  }
  m_picked = &i;
  m_b.instance = &i;
  m_b.slot = slot.value();
  i.slot_handlers[m_b.slot] = &m_b;
  // Nothing is written before the target accepts, so the open itself must
  // wake a target that sleeps.
  i.channel->flush();
  pump();
  return true;
}

bool Splice::retry_pick() {
  RequestKey key;
  Pick p = m_gw.pool().pick(m_target, key, nullptr);
  if (p.kind == Pick::wait) return false;
  m_queued = false;
  if (!place(p)) {
    m_queued = true;  // on_capacity puts it back at the head
    return false;
  }
  return true;
}

void Splice::pump() {
  if (m_done) return;
  if (!m_connected) {
    if (m_b.instance == nullptr) return;
    ConnStatus st = m_b.instance->channel->status(m_b.slot);
    if (st.state == ConnState::connecting && !st.peer_reset) return;
    if (st.state != ConnState::open || st.peer_reset) return finish(true);  // refused: so is the caller's connect
    if (!m_a.instance->channel->accept(m_a.slot).ok()) return finish(true);  // the caller gave up
    m_connected = true;
    m_a.instance->channel->flush();
    // The connect is the unit the balancer placed; the connection may then
    // idle for minutes (a keep-alive client), which must not count as load
    // for autoscaling or keep the service from scaling to zero. Draining
    // still waits for open slots, so no spliced connection is cut early.
    m_gw.pool().finish(m_target, *m_picked, EventLoop::now_ns() - m_start_ns, 200, true);
    m_picked = nullptr;
  }
  bool progress = true;
  while (progress && !m_done) progress = move(m_a, m_b) | move(m_b, m_a);
  if (m_done) return;
  if (m_a.shut_sent && m_b.shut_sent && m_a.pending.empty() && m_b.pending.empty()) finish(false);
}

// Moves what src has into dst; returns true if any byte moved.
bool Splice::move(End& src, End& dst) {
  Channel& in = *src.instance->channel;
  Channel& out = *dst.instance->channel;
  bool moved = false;
  for (;;) {
    if (src.pending.empty() && !src.eof_seen) {
      static uint8_t scratch[kChunk];  // no zero-fill per read (see UpstreamConn::read_in)
      auto r = in.read(src.slot, {scratch, kChunk});
      if (!r.ok()) {
        finish(true);
        return false;
      }
      src.pending.assign(reinterpret_cast<const char*>(scratch), r.value().bytes);
      if (r.value().eof) src.eof_seen = true;
      if (r.value().bytes > 0) in.flush();
    }
    if (src.pending.empty()) break;
    auto w = out.write(dst.slot, {reinterpret_cast<const uint8_t*>(src.pending.data()), src.pending.size()});
    if (!w.ok()) {
      finish(true);
      return false;
    }
    size_t n = w.value();
    if (n == 0) break;  // dst's ring is full: its consumer's progress wakes us
    src.pending.erase(0, n);
    out.flush();
    moved = true;
  }
  if (src.eof_seen && src.pending.empty() && !src.shut_sent) {
    (void)out.shutdown_write(dst.slot);
    out.flush();
    src.shut_sent = true;
    moved = true;
  }
  return moved;
}

void Splice::gone(End* e) {
  // e's instance is going away: forget its slot, reset the other side.
  e->instance->slot_handlers[e->slot] = nullptr;
  if (e == &m_b && m_picked != nullptr) {
    m_gw.pool().finish(m_target, *m_picked, EventLoop::now_ns() - m_start_ns, 502, false);
    m_picked = nullptr;
  }
  e->instance = nullptr;
  finish(true);
}

void Splice::finish(bool reset) {
  if (m_done) return;
  m_done = true;
  if (m_timer != 0) m_gw.loop().cancel(m_timer);
  if (m_queued) m_gw.unhold(m_target, this);
  for (End* e : {&m_a, &m_b}) {
    if (e->instance == nullptr) continue;
    Channel& ch = *e->instance->channel;
    if (e == &m_a && !m_connected) {
      (void)ch.refuse(e->slot);
    } else if (reset) {
      ch.reset(e->slot);
    } else {
      ch.close(e->slot);
    }
    ch.flush();
    if (e->instance->slot_handlers[e->slot] == e) e->instance->slot_handlers[e->slot] = nullptr;
  }
  if (m_picked != nullptr)
    m_gw.pool().finish(m_target, *m_picked, EventLoop::now_ns() - m_start_ns, reset ? 502 : 200, !reset);
  m_gw.retire(this);
}

}  // namespace shoal::pool
