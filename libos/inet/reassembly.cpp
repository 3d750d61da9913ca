// Fragment reassembly shared by IPv4 and IPv6 (see reassembly.hpp).
#include "inet/reassembly.hpp"

#include "inet/stack.hpp"

namespace libos::inet {

namespace {
bool same_key(const Reassembly::Key& a, const Reassembly::Key& b) {
  return a.id == b.id && a.proto == b.proto && memcmp(a.src, b.src, 16) == 0 && memcmp(a.dst, b.dst, 16) == 0;
}
}  // namespace

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

Reassembly::Datagram* Reassembly::find_or_start(const Key& key) {
  Datagram* free_slot = nullptr;
  Datagram* oldest = nullptr;
  for (Datagram& d : m_dgrams) {
    if (!d.used) {
      if (free_slot == nullptr) free_slot = &d;
      continue;
    }
    if (same_key(d.key, key)) return &d;
    if (oldest == nullptr || d.expires < oldest->expires) oldest = &d;
  }
  Datagram* slot = free_slot != nullptr ? free_slot : oldest;
  if (slot->used) drop(*slot);  // the table is full: the oldest datagram loses
  slot->used = true;
  slot->key = key;
  slot->expires = m_stack.now() + m_timeout;
  return slot;
}

PacketBuf* Reassembly::add(const Fragment& frag) {
  StackStats& st = m_stack.stats();
  bool more = frag.more;
  size_t off = frag.off;
  size_t len = frag.len;
  const uint8_t* data = frag.data;
  // Every fragment but the last carries a multiple of 8 bytes (RFC 791,
  // RFC 8200 4.5).
  if (len == 0 || (more && len % 8 != 0) || frag.header_len > kMaxHeader) {
    ++st.frags_dropped;
    return nullptr;
  }
  Datagram* d = find_or_start(frag.key);
  size_t end = off + len;
  bool bad = end > m_max_payload || (d->end != 0 && end > d->end) ||
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
    d->header_len = static_cast<uint8_t>(frag.header_len);
    memcpy(d->header, frag.header, frag.header_len);
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
  PacketBuf* out = PacketBuf::alloc(d.header_len + d.end);
  if (out == nullptr) {
    drop(d);
    return nullptr;
  }
  uint8_t* p = out->frame();
  memcpy(p, d.header, d.header_len);
  for (Frag* f = d.frags; f != nullptr; f = f->next) memcpy(p + d.header_len + f->off, f->data(), f->len);
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
