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
// at kNetTxOffset: kNetSlots slots of kNetSlotSize bytes each. A frame is an
// Ethernet frame without preamble or FCS, destination MAC first. A frame
// longer than a slot spans consecutive slots, ceil(len / kNetSlotSize) of
// them, and never wraps the ring's end: a producer whose frame would cross
// it publishes a one-slot "skip" entry (kNetFlagSkip) instead, meaning "the
// rest of the ring up to its end is unused", and puts the frame at slot 0.
//
// Each ring is single-producer single-consumer. `head` counts slots ever
// published (producer-owned), `tail` slots ever consumed (consumer-owned),
// both wrap modulo 2^32; slot = index % kNetSlots; used = head - tail <=
// kNetSlots. The producer writes the frame and the metadata of its first
// slot (meta[slot]), then stores head (past the frame's last slot) with
// release; the consumer loads head with acquire, reads the frames, then
// stores tail with release. A consumer never trusts head - tail > kNetSlots
// (the guest is hostile to the monitor): the monitor resets the ring.
//
// Offloads (virtio-net's, version 2): the monitor announces in `features`
// what the TAP device accepts and produces. With kNetFeatureCsum a frame may
// carry kNetFlagCsumPartial: the L4 checksum is to be completed from byte
// csum_start of the frame (the field at csum_start + csum_offset holds the
// folded pseudo-header sum); kNetFlagDataValid (rx only) says the host
// already checked it. With kNetFeatureTso4 a TCP/IPv4 frame of up to
// kNetMaxFrame bytes may carry gso_type kNetGsoTcpv4 and gso_size (payload
// bytes per segment): the host cuts it into segments (tx) or delivered it
// uncut (rx). A frame without gso_type is at most kNetMaxPlainFrame bytes.
// The monitor validates every field the guest writes (netdev_ops.h).
//
// Gather (tx only, kNetFeatureGather, with kNetFeatureCsum): a frame flagged
// kNetFlagGather takes one slot holding a NetGather instead of its bytes:
// the frame's first head_len bytes (its headers) and up to kNetGatherSpans
// spans of guest memory (guest-physical addresses, read by the monitor
// through its checked guest-memory access) that follow them; meta.len is
// the whole frame's length. The payload is not copied into the ring: TCP
// points at its send buffer. The guest keeps a span's bytes in place (it
// does not free or reuse the memory) until the monitor's tail has passed
// the frame's slot. A gather frame carries a partial checksum whose field
// lies inside the head. Bad spans are dropped and counted like a bad length.
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
inline constexpr uint32_t kNetVersion = 2;
inline constexpr uint16_t kNetKickPort = 0x531;  // guest -> monitor ioeventfd (outl, any value)

inline constexpr uint32_t kNetSlots = 512;       // per ring, a power of two
inline constexpr uint32_t kNetSlotSize = 2048;
inline constexpr uint32_t kNetMaxPlainFrame = 1514;   // 14-byte Ethernet header + 1500 MTU
inline constexpr uint32_t kNetMaxFrame = 14 + 65535;  // a GSO super-frame: Ethernet + the largest IPv4 packet
inline constexpr uint32_t kNetMinFrame = 14;          // an Ethernet header
inline constexpr uint16_t kNetMtu = 1500;

// NetHeader::features (monitor -> guest).
inline constexpr uint32_t kNetFeatureCsum = 1;  // csum_partial / data_valid frames
inline constexpr uint32_t kNetFeatureTso4 = 2;  // TCP/IPv4 super-frames (needs kNetFeatureCsum)
inline constexpr uint32_t kNetFeatureGather = 4;  // tx frames gathered from guest memory (needs kNetFeatureCsum)

// NetSlotMeta::flags (the values of virtio_net_hdr's, plus skip).
inline constexpr uint8_t kNetFlagCsumPartial = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint8_t kNetFlagDataValid = 2;    // VIRTIO_NET_HDR_F_DATA_VALID (rx only)
inline constexpr uint8_t kNetFlagGather = 0x40;    // tx only: the slot holds a NetGather (one slot)
inline constexpr uint8_t kNetFlagSkip = 0x80;      // no frame: skip to the ring's start
// NetSlotMeta::gso_type (virtio's values).
inline constexpr uint8_t kNetGsoNone = 0;
inline constexpr uint8_t kNetGsoTcpv4 = 1;

// Describes the frame starting in a slot (only the first slot of a frame).
struct NetSlotMeta {
  uint32_t len;          // bytes of the frame (it spans ceil(len / kNetSlotSize) slots)
  uint8_t flags;         // kNetFlag*
  uint8_t gso_type;      // kNetGso*
  uint16_t gso_size;     // TCP payload bytes per segment (kNetGsoTcpv4)
  uint16_t csum_start;   // kNetFlagCsumPartial: checksum from this byte of the frame ...
  uint16_t csum_offset;  // ... stored at csum_start + csum_offset
  uint32_t reserved;
};
static_assert(sizeof(NetSlotMeta) == 16);

// A gather frame's slot (kNetFlagGather): the head, then the spans after it.
inline constexpr uint32_t kNetGatherHeadMax = 256;  // Ethernet + IPv4 + TCP, options included, fit
inline constexpr uint32_t kNetGatherSpans = 4;
struct NetSpan {
  uint64_t addr;  // guest-physical
  uint32_t len;
  uint32_t reserved;
};
struct NetGather {
  uint32_t head_len;  // kNetMinFrame..kNetGatherHeadMax bytes of head[]
  uint32_t spans;     // 1..kNetGatherSpans entries of span[]
  NetSpan span[kNetGatherSpans];
  uint8_t head[kNetGatherHeadMax];
};
static_assert(sizeof(NetSpan) == 16);
static_assert(sizeof(NetGather) == 8 + 16 * kNetGatherSpans + kNetGatherHeadMax);

struct NetRing {
  alignas(64) uint32_t head;              // producer: frames ever published
  alignas(64) uint32_t tail;              // consumer: frames ever consumed
  alignas(64) uint32_t consumer_sleeping; // consumer: 1 = about to sleep, kick me after publishing
  alignas(64) uint32_t producer_waiting;  // producer: 1 = ring was full, kick me after consuming
  alignas(64) NetSlotMeta meta[kNetSlots];  // the frame starting in each slot
};

struct NetHeader {
  uint64_t magic;      // kNetMagic (monitor writes before boot)
  uint32_t version;    // kNetVersion
  uint32_t slots;      // kNetSlots
  uint32_t slot_size;  // kNetSlotSize
  uint32_t features;   // kNetFeature* (monitor writes before boot)
  NetRing rx;          // monitor -> guest
  NetRing tx;          // guest -> monitor
  // IPv6 (monitor writes before boot): the static address of --ip6 and its
  // prefix length, 1..128; prefix 0: none (the guest still has its
  // link-local address, formed from the MAC).
  uint8_t ipv6[16];
  uint8_t ipv6_prefix;
  uint8_t reserved6[7];
};

inline constexpr uint64_t kNetHeaderSize = 0x5000;
inline constexpr uint64_t kNetRxOffset = kNetHeaderSize;
inline constexpr uint64_t kNetTxOffset = kNetRxOffset + uint64_t{kNetSlots} * kNetSlotSize;
inline constexpr uint64_t kNetRegionSize = kNetTxOffset + uint64_t{kNetSlots} * kNetSlotSize;

static_assert((kNetSlots & (kNetSlots - 1)) == 0);
static_assert(sizeof(NetHeader) <= kNetHeaderSize);
static_assert(kNetMaxPlainFrame <= kNetSlotSize);
static_assert(kNetMaxFrame <= kNetSlots / 4 * kNetSlotSize);  // several super-frames fit a ring
static_assert(kNetRegionSize % 0x1000 == 0);
static_assert(sizeof(NetGather) <= kNetSlotSize);

}  // namespace shoal::abi
