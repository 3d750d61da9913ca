#include "inet/ipv4_reassembly.hpp"

#include "inet/checksum.hpp"
#include "inet/ipv4.hpp"

namespace libos::inet {

namespace {
constexpr size_t kMaxPayload = 65535 - kIpHeader;  // the reassembled datagram has a 20-byte header
}

Reassembly::~Reassembly() {
  for (Datagram& d : m_dgrams)
    if (d.used) drop(d);
}

size_t Reassembly::in_progress() const {
  size_t n = 0;
  for (const Datagram& d : m_dgrams) n += d.used ? 1 : 0;
  return n;
}

void Reassembly::drop(Datagram& d) {
  m_stack.stats().frags_dropped += d.count;
  for (Frag* f = d.frags; f != nullptr;) {
    Frag* next = f->next;
    mem_free(f);
    f = next;
  }
  m_bytes -= d.bytes;
  d = Datagram{};
}

Reassembly::Datagram* Reassembly::find_or_start(uint32_t src, uint32_t dst, uint16_t id,
                                                uint8_t proto) {
  Datagram* free_slot = nullptr;
  Datagram* oldest = nullptr;
  for (Datagram& d : m_dgrams) {
    if (!d.used) {
      if (free_slot == nullptr) free_slot = &d;
      continue;
    }
    if (d.src == src && d.dst == dst && d.id == id && d.proto == proto) return &d;
    if (oldest == nullptr || d.expires < oldest->expires) oldest = &d;
  }
  Datagram* slot = free_slot != nullptr ? free_slot : oldest;
  if (slot->used) drop(*slot);  // the table is full: the oldest datagram loses
  slot->used = true;
  slot->src = src;
  slot->dst = dst;
  slot->id = id;
  slot->proto = proto;
  slot->expires = m_stack.now() + kTimeout;
  return slot;
}

PacketBuf* Reassembly::add(const uint8_t* pkt, size_t hl, size_t total) {
  StackStats& st = m_stack.stats();
  uint16_t field = load16(pkt + 6);
  bool more = (field & kIpFlagMf) != 0;
  size_t off = static_cast<size_t>(field & kIpOffsetMask) * 8;
  size_t len = total - hl;
  const uint8_t* data = pkt + hl;
  // Every fragment but the last carries a multiple of 8 bytes (RFC 791).
  if (len == 0 || (more && len % 8 != 0)) {
    ++st.frags_dropped;
    return nullptr;
  }
  Datagram* d = find_or_start(load_addr(pkt + 12), load_addr(pkt + 16), load16(pkt + 4), pkt[9]);
  size_t end = off + len;
  bool bad = end > kMaxPayload || (d->end != 0 && end > d->end) ||
             (!more && ((d->end != 0 && d->end != end) || d->count >= kFragments));
  if (!more && !bad) {
    // The last fragment fixes the end: nothing may lie beyond it.
    for (Frag* f = d->frags; f != nullptr; f = f->next)
      if (f->off + f->len > end) bad = true;
  }
  // Find the insertion point and reject overlaps.
  Frag** link = &d->frags;
  for (Frag* f = d->frags; !bad && f != nullptr; f = f->next) {
    if (f->off == off && f->len == len) {
      ++st.frags_dropped;  // an exact duplicate (a retransmission): harmless
      return nullptr;
    }
    if (off < f->off + f->len && f->off < end) bad = true;
    if (f->off < off) link = &f->next;
  }
  if (bad || d->count >= kFragments) {
    ++st.frags_dropped;
    drop(*d);
    return nullptr;
  }
  // Make room within the byte budget, sacrificing older datagrams.
  size_t cost = len + kBufOverhead;
  while (m_bytes + cost > kBytes) {
    Datagram* oldest = nullptr;
    for (Datagram& o : m_dgrams)
      if (o.used && &o != d && (oldest == nullptr || o.expires < oldest->expires)) oldest = &o;
    if (oldest == nullptr) break;
    drop(*oldest);
  }
  auto* f = static_cast<Frag*>(m_bytes + cost > kBytes ? nullptr : mem_alloc(sizeof(Frag) + len));
  if (f == nullptr) {
    ++st.frags_dropped;
    drop(*d);
    return nullptr;
  }
  f->off = static_cast<uint32_t>(off);
  f->len = static_cast<uint32_t>(len);
  memcpy(f->data(), data, len);
  f->next = *link;
  *link = f;
  ++d->count;
  d->bytes += cost;
  m_bytes += cost;
  if (!more) d->end = static_cast<uint32_t>(end);
  if (off == 0) {
    d->have_first = true;
    memcpy(d->header, pkt, kIpHeader);
  }
  if (d->end == 0 || !d->have_first) return nullptr;
  size_t covered = 0;
  for (Frag* g = d->frags; g != nullptr; g = g->next) {
    if (g->off != covered) return nullptr;  // a hole remains
    covered += g->len;
  }
  return covered == d->end ? assemble(*d) : nullptr;
}

PacketBuf* Reassembly::assemble(Datagram& d) {
  PacketBuf* out = PacketBuf::alloc(kIpHeader + d.end);
  if (out == nullptr) {
    drop(d);
    return nullptr;
  }
  uint8_t* p = out->frame();
  memcpy(p, d.header, kIpHeader);
  p[0] = 0x45;
  store16(p + 2, static_cast<uint16_t>(kIpHeader + d.end));
  store16(p + 6, 0);
  store16(p + 10, 0);
  uint16_t sum = checksum(p, kIpHeader);
  memcpy(p + 10, &sum, 2);
  for (Frag* f = d.frags; f != nullptr; f = f->next) memcpy(p + kIpHeader + f->off, f->data(), f->len);
  ++m_stack.stats().frags_reassembled;
  d.count = 0;  // not dropped: delivered
  drop(d);
  return out;
}

uint64_t Reassembly::run_timers() {
  uint64_t now = m_stack.now();
  for (Datagram& d : m_dgrams)
    if (d.used && d.expires <= now) drop(d);
  return next_deadline();
}

uint64_t Reassembly::next_deadline() const {
  uint64_t next = kNever;
  for (const Datagram& d : m_dgrams)
    if (d.used && d.expires < next) next = d.expires;
  return next;
}

}  // namespace libos::inet
