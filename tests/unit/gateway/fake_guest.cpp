#include "fake_guest.hpp"

#include <stdlib.h>
#include <sys/mman.h>

#include <stdexcept>

#include "pool/channel/channel.hpp"

namespace shoal::pool::testing {
using namespace shoal::abi;

FakeGuest::FakeGuest(Channel& ch, uint16_t port, Handler handler) : m_port(port), m_handler(std::move(handler)) {
  m_size = ch.region_size();
  m_base = mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_SHARED, ch.fds().memfd, 0);
  if (m_base == MAP_FAILED) throw std::runtime_error("mmap channel");
  if (!channel_view_from_header(&m_view, m_base, m_size)) throw std::runtime_error("bad channel header");
}

FakeGuest::~FakeGuest() { munmap(m_base, m_size); }

void FakeGuest::listen() { channel_listen_add(channel_header(&m_view), m_port); }
void FakeGuest::unlisten() { channel_listen_remove(channel_header(&m_view), m_port); }

void FakeGuest::release(uint32_t slot) {
  ChannelSlot* s = channel_slot(&m_view, slot);
  slot_release(s, kSideGuest);
}

bool FakeGuest::step() {
  bool did = false;
  ChannelHeader* h = channel_header(&m_view);
  for (uint32_t i = channel_host_slots_begin(&m_view); i < channel_host_slots_end(&m_view); ++i) {
    ChannelSlot* s = channel_slot(&m_view, i);
    if (slot_state(s) == kSlotConnecting && m_conns.find(i) == m_conns.end()) {
      bool ok = __atomic_load_n(&s->port, __ATOMIC_ACQUIRE) == m_port && channel_listening(h, m_port);
      if (ok ? slot_accept(s) : slot_refuse(s)) {
        if (ok) m_conns[i] = Conn{};
        did = true;
      }
    }
  }
  for (auto it = m_conns.begin(); it != m_conns.end();) {
    bool erase = false;
    did |= serve(it->first, it->second);
    ChannelSlot* s = channel_slot(&m_view, it->first);
    uint32_t host = slot_flags(s, kSideHost);
    ChannelEnd e = channel_end(&m_view, it->first, kSideGuest);
    bool drained = ring_readable(e.rx, e.ring_size) == 0;
    if ((host & kReset) || ((host & kShutWrite) && drained) || (slot_released(s) & kReleasedHost) || it->second.closing) {
      if (it->second.closing) slot_set_flags(s, kSideGuest, kShutWrite);
      release(it->first);
      erase = true;
      did = true;
    }
    it = erase ? m_conns.erase(it) : std::next(it);
  }
  if (did) channel_bump_events(h, kSideGuest);
  return did;
}

bool FakeGuest::serve(uint32_t slot, Conn& c) {
  ChannelEnd e = channel_end(&m_view, slot, kSideGuest);
  char buf[65536];
  int64_t n = ring_read(e.rx, e.rx_data, e.ring_size, buf, sizeof buf);
  if (n <= 0) return false;
  c.in.append(buf, size_t(n));
  for (;;) {
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) break;
    std::string head = c.in.substr(0, end);
    size_t len = 0;
    size_t cl = head.find("Content-Length: ");
    if (cl != std::string::npos) len = strtoul(head.c_str() + cl + 16, nullptr, 10);
    if (c.in.size() < end + 4 + len) break;
    std::string body = c.in.substr(end + 4, len);
    c.in.erase(0, end + 4 + len);
    size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
    std::string method = head.substr(0, sp1), target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    ++m_requests;
    Reply r = m_handler(method, target, body);
    if (r.reset) {
      slot_set_flags(e.slot, kSideGuest, kReset);
      c.closing = true;
      return true;
    }
    if (r.no_answer) continue;
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Length: " + std::to_string(r.body.size()) +
                      "\r\nContent-Type: application/json\r\n\r\n" + r.body;
    // The test's answers fit the ring (32 KiB); a larger one would need a
    // pending buffer, which this fake does not have.
    ring_write(e.tx, e.tx_data, e.ring_size, out.data(), out.size());
  }
  return true;
}

int FakeGuest::connect(uint32_t service, uint16_t port) {
  for (uint32_t i = channel_guest_slots_begin(&m_view); i < channel_guest_slots_end(&m_view); ++i) {
    ChannelSlot* s = channel_slot(&m_view, i);
    if (!slot_claim(s)) continue;
    __atomic_store_n(&s->service, service, __ATOMIC_RELAXED);
    __atomic_store_n(&s->port, uint32_t{port}, __ATOMIC_RELAXED);
    slot_publish(s);
    channel_bump_events(channel_header(&m_view), kSideGuest);
    m_out[int(i)] = "";
    return int(i);
  }
  return -1;
}

bool FakeGuest::connected(int slot) const { return slot_state(channel_slot(&m_view, uint32_t(slot))) == kSlotOpen; }
bool FakeGuest::refused(int slot) const { return slot_state(channel_slot(&m_view, uint32_t(slot))) == kSlotRefused; }

void FakeGuest::send(int slot, const std::string& bytes) {
  ChannelEnd e = channel_end(&m_view, uint32_t(slot), kSideGuest);
  ring_write(e.tx, e.tx_data, e.ring_size, bytes.data(), bytes.size());
  channel_bump_events(channel_header(&m_view), kSideGuest);
}

std::string FakeGuest::received(int slot) {
  ChannelEnd e = channel_end(&m_view, uint32_t(slot), kSideGuest);
  char buf[65536];
  int64_t n = ring_read(e.rx, e.rx_data, e.ring_size, buf, sizeof buf);
  if (n > 0) {
    m_out[slot].append(buf, size_t(n));
    channel_bump_events(channel_header(&m_view), kSideGuest);
  }
  return m_out[slot];
}

void FakeGuest::close(int slot) {
  ChannelSlot* s = channel_slot(&m_view, uint32_t(slot));
  slot_set_flags(s, kSideGuest, kShutWrite);
  slot_release(s, kSideGuest);
  channel_bump_events(channel_header(&m_view), kSideGuest);
}

}  // namespace shoal::pool::testing
