// shoal guest ABI: the channel, a shared-memory region carrying stream
// connections between shoald (the host side) and one instance (the guest).
//
// shoald creates the region (a memfd) and two eventfds and hands them to
// shoal-vmm (`--channel MEMFD,TO_HOST_FD,TO_GUEST_FD`). The monitor maps the
// region at kChannelAddr in guest memory (user read-write, never executable)
// and reports it in BootInfo (channel_addr, channel_size); shoald maps the same
// memfd. Nothing else is shared, and the host treats every byte of the region
// as hostile: the guest can write anything there at any time.
//
// Layout: ChannelHeader at offset 0 (kChannelHeaderSize: two pages), then
// slot_count ChannelSlot headers (each kSlotHeaderSize bytes), then for each
// slot two rings of ring_size bytes: [to_guest][to_host], slot i's at
//   data_offset + i * 2 * ring_size.
// The whole region is at most kMaxChannelRegionSize bytes.
//
// Connections. Slots [0, slot_count/2) are opened by the host (a client of a
// port the guest listens on: the gateway forwarding a request); slots
// [slot_count/2, slot_count) are opened by the guest (`connect` to another
// service through the pool). A slot's `state` moves by compare-and-swap:
//   kFree -> kClaimed      opener, privately, then fills port/addr and zeroes
//                          rings and flags
//   kClaimed -> kConnecting opener publishes the request (release store)
//   kConnecting -> kOpen    acceptor accepts
//   kConnecting -> kRefused acceptor has no listener (the opener frees it)
//   kConnecting -> kFree    opener gives up before the acceptor looked
// Each side then owns its flags word (kShutWrite = no more bytes from this
// side, like FIN; kReset = abort) and, when it has closed its end, sets its
// bit in `released` with an atomic OR; whoever completes released == 3 stores
// state = kFree. Neither side touches a slot's rings after releasing it.
//
// Rings are single-producer single-consumer byte rings: `head` counts bytes
// ever written (producer-owned), `tail` bytes ever consumed (consumer-owned);
// both wrap modulo 2^32; used = head - tail <= ring_size. Writers stop when
// the ring is full (back-pressure); readers never trust head - tail > ring_size
// (a hostile peer) and treat it as a reset.
//
// Notification suppression (virtio-style): each side announces before it
// sleeps (`guest_sleeping` / `host_sleeping` = 1), then issues a full fence and
// re-checks for work. A producer, after publishing (fence), kicks the other
// side only if it announced sleep:
//   guest -> host: `outl` to kChannelKickPort, a KVM ioeventfd (the exit ends
//                  in the host kernel, ~22 us here) that signals TO_HOST_FD;
//   host -> guest: write(TO_GUEST_FD); the monitor's `block` hypercall polls
//                  it and returns early.
// Each side also bumps its `*_events` counter after any change it makes
// (open, data, consume, flags, listen table), so the other side can skip a
// scan of all slots when nothing changed.
#pragma once

#include <stdint.h>

namespace shoal::abi {

inline constexpr uint64_t kChannelAddr = 0x1000000000ull;  // 64 GiB: above any guest memory
inline constexpr uint64_t kChannelMagic = 0x314e4843414f4853ull;  // "SHOALCH1"
inline constexpr uint32_t kChannelVersion = 1;
inline constexpr uint16_t kChannelKickPort = 0x530;  // guest -> host ioeventfd (outl, any value); above the hypercall ports

inline constexpr uint32_t kMaxChannelSlots = 256;
inline constexpr uint32_t kDefaultChannelSlots = 64;
inline constexpr uint32_t kMinRingSize = 4096;
inline constexpr uint32_t kMaxRingSize = 1u << 20;
inline constexpr uint32_t kDefaultRingSize = 32768;
inline constexpr uint32_t kSlotHeaderSize = 320;  // 5 cache lines: fields + two rings
inline constexpr uint32_t kMaxListenPorts = 16;
inline constexpr uint32_t kMaxServices = 64;
inline constexpr uint32_t kServiceNameMax = 48;
inline constexpr uint64_t kMaxChannelRegionSize = 64ull << 20;  // the monitor refuses larger

enum ChannelSlotState : uint32_t {
  kSlotFree = 0,
  kSlotClaimed = 1,
  kSlotConnecting = 2,
  kSlotOpen = 3,
  kSlotRefused = 4,
};

enum ChannelFlags : uint32_t {
  kShutWrite = 1u << 0,  // this side will write no more bytes (reader sees EOF after draining)
  kReset = 1u << 1,      // this side aborted the connection
};

enum ChannelReleased : uint32_t {
  kReleasedHost = 1u << 0,
  kReleasedGuest = 1u << 1,
};

struct alignas(64) ChannelRing {
  uint32_t head;  // bytes ever produced (producer writes)
  uint32_t _pad0[15];
  uint32_t tail;  // bytes ever consumed (consumer writes)
  uint32_t _pad1[15];
};
static_assert(sizeof(ChannelRing) == 128);

// A service other instances can reach: a name (resolvable through the
// LibOS's /etc/hosts) and a virtual IPv4 address; `connect` to ipv4:any port
// opens a guest slot with service = index, port = the port asked for.
struct ChannelService {
  char name[kServiceNameMax];  // NUL-terminated, [a-z0-9-]
  uint32_t ipv4;               // network byte order, e.g. 10.77.0.N
  uint32_t _pad[3];
};
static_assert(sizeof(ChannelService) == 64);

struct ChannelSlot {
  uint32_t state;        // ChannelSlotState (CAS)
  uint32_t released;     // ChannelReleased bits (atomic OR)
  uint32_t host_flags;   // ChannelFlags, written by the host only
  uint32_t guest_flags;  // ChannelFlags, written by the guest only
  uint32_t port;         // host-opened: the guest's listening port; guest-opened: destination port
  uint32_t service;      // guest-opened: index into services[] (or kServiceNone)
  uint32_t peer_ipv4;    // host-opened: the client's address as the gateway saw it (network order)
  uint32_t peer_port;    // host-opened: the client's port
  uint32_t dest_ipv4;    // guest-opened: the address the guest connected to (network order)
  uint32_t _pad[7];
  ChannelRing to_guest;  // host produces, guest consumes
  ChannelRing to_host;   // guest produces, host consumes
};
static_assert(sizeof(ChannelSlot) == kSlotHeaderSize);
inline constexpr uint32_t kServiceNone = 0xffffffffu;

struct ChannelHeader {
  uint64_t magic;          // kChannelMagic (host writes before boot)
  uint32_t version;        // kChannelVersion
  uint32_t slot_count;     // even, 2..kMaxChannelSlots
  uint32_t ring_size;      // power of two, kMinRingSize..kMaxRingSize
  uint32_t service_count;  // <= kMaxServices
  uint64_t data_offset;    // where slot 0's rings start (page-aligned)
  uint64_t region_size;    // total bytes (page multiple)
  uint32_t _pad0[8];

  alignas(64) uint32_t guest_sleeping;  // guest: 1 = about to block, kick me
  alignas(64) uint32_t host_sleeping;   // host: 1 = about to sleep, kick me
  alignas(64) uint32_t guest_events;    // bumped by the guest after any change
  alignas(64) uint32_t host_events;     // bumped by the host after any change

  // Ports the guest listens on (0 = unused entry); written by the guest only.
  // An instance is "ready" when its service port appears here.
  alignas(64) uint32_t listen_ports[kMaxListenPorts];

  // Written by the host before boot, read-only by convention afterwards.
  alignas(64) ChannelService services[kMaxServices];
};
// Two pages: the services table alone fills one.
inline constexpr uint64_t kChannelHeaderSize = 8192;
static_assert(sizeof(ChannelHeader) <= kChannelHeaderSize);

// Bytes a region with these parameters needs (page multiple).
constexpr uint64_t channel_region_size(uint32_t slot_count, uint32_t ring_size) {
  uint64_t headers = kChannelHeaderSize + uint64_t{slot_count} * kSlotHeaderSize;
  uint64_t data_offset = (headers + 4095) & ~uint64_t{4095};
  return data_offset + uint64_t{slot_count} * 2 * ring_size;
}
constexpr uint64_t channel_data_offset(uint32_t slot_count) {
  return (kChannelHeaderSize + uint64_t{slot_count} * kSlotHeaderSize + 4095) & ~uint64_t{4095};
}

}  // namespace shoal::abi
