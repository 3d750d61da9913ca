// shoal guest ABI: the network device (`shoal-vmm --net tap:NAME`).
//
// The monitor allocates one region of kNetRegionSize bytes, maps it into the
// guest at kNetAddr (user read-write, never executable) as a memory slot of
// its own, and reports it in BootInfo (net_addr, net_size, with the MAC, the
// IPv4 address, prefix and gateway). An I/O thread of the monitor moves
// Ethernet frames between the region and the TAP device. The guest can write
// anything in the region at any time: the monitor copies a frame's length
// and bytes once, checks the length, and never follows anything else from it.
//
// Layout: NetHeader at offset 0 (kNetHeaderSize), then the rx frames
// (monitor -> guest) at kNetRxOffset, then the tx frames (guest -> monitor)
// at kNetTxOffset: kNetSlots slots of kNetSlotSize bytes each. A slot holds
// one Ethernet frame without preamble or FCS: destination MAC first, at most
// kNetMaxFrame bytes (a 1500-byte MTU plus the 14-byte header).
//
// Each ring is single-producer single-consumer. `head` counts frames ever
// published (producer-owned), `tail` frames ever consumed (consumer-owned),
// both wrap modulo 2^32; slot = index % kNetSlots; used = head - tail <=
// kNetSlots. The producer writes the frame and len[slot], then stores head
// with release; the consumer loads head with acquire, reads the frames, then
// stores tail with release. A consumer never trusts head - tail > kNetSlots
// (the guest is hostile to the monitor): the monitor resets the ring.
//
// Notification suppression (virtio-style, as the channel): a consumer about
// to sleep sets `consumer_sleeping` = 1, issues a full fence and re-checks
// head; a producer, after publishing (full fence), kicks only a consumer that
// announced sleep. A producer that finds its ring full and waits for room
// sets `producer_waiting` = 1 (fence, re-check); the consumer kicks it after
// freeing slots. Kicks:
//   guest -> monitor: `outl` to kNetKickPort, a KVM ioeventfd (the exit ends
//                     in the host kernel) that wakes the I/O thread;
//   monitor -> guest: ends the guest's `block` hypercall early.
// Under load both sides poll and no kick happens: no exit per packet.
#pragma once

#include <stdint.h>

namespace shoal::abi {

inline constexpr uint64_t kNetAddr = 0x1800000000ull;  // 96 GiB: above guest memory and the channel
inline constexpr uint64_t kNetMagic = 0x3154454e414f4853ull;  // "SHOALNE1"
inline constexpr uint32_t kNetVersion = 1;
inline constexpr uint16_t kNetKickPort = 0x511;  // guest -> monitor ioeventfd (outl, any value)

inline constexpr uint32_t kNetSlots = 512;       // per ring, a power of two
inline constexpr uint32_t kNetSlotSize = 2048;
inline constexpr uint32_t kNetMaxFrame = 1514;   // 14-byte Ethernet header + 1500 MTU
inline constexpr uint32_t kNetMinFrame = 14;     // an Ethernet header
inline constexpr uint16_t kNetMtu = 1500;

struct NetRing {
  alignas(64) uint32_t head;              // producer: frames ever published
  alignas(64) uint32_t tail;              // consumer: frames ever consumed
  alignas(64) uint32_t consumer_sleeping; // consumer: 1 = about to sleep, kick me after publishing
  alignas(64) uint32_t producer_waiting;  // producer: 1 = ring was full, kick me after consuming
  alignas(64) uint32_t len[kNetSlots];    // bytes of the frame in each slot
};

struct NetHeader {
  uint64_t magic;      // kNetMagic (monitor writes before boot)
  uint32_t version;    // kNetVersion
  uint32_t slots;      // kNetSlots
  uint32_t slot_size;  // kNetSlotSize
  uint32_t reserved;
  NetRing rx;          // monitor -> guest
  NetRing tx;          // guest -> monitor
};

inline constexpr uint64_t kNetHeaderSize = 0x2000;
inline constexpr uint64_t kNetRxOffset = kNetHeaderSize;
inline constexpr uint64_t kNetTxOffset = kNetRxOffset + uint64_t{kNetSlots} * kNetSlotSize;
inline constexpr uint64_t kNetRegionSize = kNetTxOffset + uint64_t{kNetSlots} * kNetSlotSize;

static_assert((kNetSlots & (kNetSlots - 1)) == 0);
static_assert(sizeof(NetHeader) <= kNetHeaderSize);
static_assert(kNetMaxFrame <= kNetSlotSize);
static_assert(kNetRegionSize % 0x1000 == 0);

}  // namespace shoal::abi
