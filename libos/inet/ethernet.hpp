// Ethernet II framing and the byte-level helpers every layer of the stack
// uses: unaligned big-endian loads and stores (received frames have no
// alignment guarantee, so nothing is ever read through a cast struct), MAC
// address tests, and PacketBuf, an owned copy of one frame that waits in a
// queue (for ARP resolution, or in the loopback queue).
#pragma once

#include "inet/bytes.hpp"
#include "inet/env.hpp"

namespace libos::inet {

inline constexpr uint16_t kEtherIpv4 = 0x0800, kEtherArp = 0x0806;
inline constexpr uint8_t kBroadcastMac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// IPv4 addresses are kept in network byte order (as the API passes them):
// these copy the four bytes as they are on the wire.
inline uint32_t load_addr(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
inline void store_addr(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }

// Group bit: broadcast and multicast destinations (and never a valid sender).
inline bool mac_is_group(const uint8_t* mac) { return (mac[0] & 1) != 0; }
inline bool mac_is_zero(const uint8_t* mac) {
  return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}
inline bool mac_equal(const uint8_t* a, const uint8_t* b) { return memcmp(a, b, 6) == 0; }

inline void eth_write(uint8_t* frame, const uint8_t* dst, const uint8_t* src, uint16_t type) {
  memcpy(frame, dst, 6);
  memcpy(frame + 6, src, 6);
  store16(frame + 12, type);
}

// An owned frame in a singly linked queue. The frame bytes follow the
// header in the same allocation, so IpTx::frame can be mapped back to it.
struct PacketBuf {
  PacketBuf* next;
  size_t len;
  uint8_t* frame() { return reinterpret_cast<uint8_t*>(this + 1); }
  // nullptr when out of memory.
  static PacketBuf* alloc(size_t len) {
    auto* p = static_cast<PacketBuf*>(mem_alloc(sizeof(PacketBuf) + len));
    if (p != nullptr) p->len = len;
    return p;
  }
  // SAFETY: only for frames that alloc() returned (IpTx::owned).
  static PacketBuf* of(uint8_t* frame) { return reinterpret_cast<PacketBuf*>(frame) - 1; }
  static void free_list(PacketBuf* p) {
    while (p != nullptr) {
      PacketBuf* next = p->next;
      mem_free(p);
      p = next;
    }
  }
};
static_assert(sizeof(PacketBuf) % 8 == 0);

// Allocation cost charged to bounded queues for one owned buffer, so that a
// flood of tiny packets is bounded by the same byte budget as big ones.
inline constexpr size_t kBufOverhead = 64;

}  // namespace libos::inet
