// The guest's side of a channel, played in the test process: a second
// mapping of the Channel's memfd driven with channel_ops.h, as the LibOS
// drives its own mapping.
#pragma once

#include <stdint.h>
#include <sys/mman.h>

#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <shoal/abi/channel_ops.h>

#include "pool/channel/channel.hpp"

namespace shoal::pool::test {

namespace sabi = shoal::abi;

class GuestSim {
 public:
  explicit GuestSim(const Channel& ch) : m_size(ch.region_size()) {
    void* p = mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_SHARED, ch.fds().memfd, 0);
    EXPECT_NE(p, MAP_FAILED);
    m_base = static_cast<uint8_t*>(p);
    EXPECT_TRUE(sabi::channel_view_from_header(&m_view, m_base, m_size));
  }
  ~GuestSim() { munmap(m_base, m_size); }

  sabi::ChannelHeader* header() { return sabi::channel_header(&m_view); }
  sabi::ChannelSlot* slot(uint32_t i) { return sabi::channel_slot(&m_view, i); }
  sabi::ChannelEnd end(uint32_t i) { return sabi::channel_end(&m_view, i, sabi::kSideGuest); }
  const sabi::ChannelView& view() const { return m_view; }
  uint8_t* base() { return m_base; }
  uint64_t size() const { return m_size; }

  void bump() { sabi::channel_bump_events(header(), sabi::kSideGuest); }

  // The first host-opened slot waiting for an answer, with its port.
  std::optional<uint32_t> next_connecting() {
    for (uint32_t i = 0; i < m_view.slot_count / 2; ++i)
      if (sabi::slot_state(slot(i)) == sabi::kSlotConnecting) return i;
    return std::nullopt;
  }
  bool accept(uint32_t i) {
    bool ok = sabi::slot_accept(slot(i));
    bump();
    return ok;
  }
  bool refuse(uint32_t i) {
    bool ok = sabi::slot_refuse(slot(i));
    bump();
    return ok;
  }

  // Opens a guest slot toward service:port; returns its index.
  std::optional<uint32_t> connect(uint32_t service, uint32_t port, uint32_t dest_ipv4) {
    for (uint32_t i = m_view.slot_count / 2; i < m_view.slot_count; ++i) {
      sabi::ChannelSlot* s = slot(i);
      if (!sabi::slot_claim(s)) continue;
      s->service = service;
      s->port = port;
      s->dest_ipv4 = dest_ipv4;
      sabi::slot_publish(s);
      bump();
      return i;
    }
    return std::nullopt;
  }

  int64_t write(uint32_t i, const std::string& bytes) {
    auto e = end(i);
    int64_t n = sabi::ring_write(e.tx, e.tx_data, e.ring_size, bytes.data(), bytes.size());
    bump();
    return n;
  }
  std::string read(uint32_t i, size_t max = 1 << 20) {
    auto e = end(i);
    std::string out(max, '\0');
    int64_t n = sabi::ring_read(e.rx, e.rx_data, e.ring_size, out.data(), max);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (n > 0) bump();
    return out;
  }
  void set_flags(uint32_t i, uint32_t flags) {
    sabi::slot_set_flags(slot(i), sabi::kSideGuest, flags);
    bump();
  }
  bool release(uint32_t i) {
    bool done = sabi::slot_release(slot(i), sabi::kSideGuest);
    bump();
    return done;
  }
  uint32_t host_flags(uint32_t i) { return sabi::slot_flags(slot(i), sabi::kSideHost); }

 private:
  uint8_t* m_base = nullptr;
  uint64_t m_size = 0;
  sabi::ChannelView m_view{};
};

inline std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Reads everything readable now from a host slot.
inline std::string host_read_all(Channel& ch, uint32_t slot, bool* eof = nullptr) {
  std::string out;
  uint8_t buf[4096];
  for (;;) {
    auto r = ch.read(slot, buf);
    if (!r.ok()) break;
    if (r->bytes == 0) {
      if (eof) *eof = r->eof;
      break;
    }
    out.append(reinterpret_cast<char*>(buf), r->bytes);
  }
  return out;
}

}  // namespace shoal::pool::test
