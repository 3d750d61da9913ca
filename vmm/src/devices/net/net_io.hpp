// The monitor's end of the network device's rings (abi/netdev.h): moves
// frames between the region and a FrameLink (the TAP device, or a fake in
// tests), with the notification protocol of netdev.h. No descriptors and no
// clock here: the I/O thread (net_thread.hpp) owns those and calls step(),
// so the ring logic is unit-tested on its own (tests/unit/vmm/net_io_test).
//
// The guest is hostile: the monitor loads each index once, copies a frame's
// metadata once and checks it (net_meta_ok: lengths, offload fields and
// offsets against the offloads it announced; a bad one is dropped and
// counted), never follows anything else from the region, and resets a ring
// whose head - tail exceeds kNetSlots. Nothing the
// guest writes can make step() loop for long: every pass is bounded by
// kNetSlots frames per direction.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>

#include <shoal/abi/netdev.h>

#include "guest_memory.hpp"
#include "net_impair.hpp"

namespace shoal::vmm {

// The other end of the device: one Ethernet frame (with its offload
// metadata, virtio_net_hdr's fields) per call.
class FrameLink {
 public:
  virtual ~FrameLink() = default;
  // Reads one frame into buf (cap bytes): its length, 0 when none is waiting,
  // -1 on an error; *meta gets its flags, gso and checksum fields (meta->len
  // is not set). A frame longer than cap is truncated by the kernel: the
  // caller gives cap > kNetMaxFrame and drops anything longer than that.
  virtual ssize_t receive(uint8_t* buf, size_t cap, abi::NetSlotMeta* meta) = 0;
  enum class Sent { ok, full, error };
  // Writes one frame (meta already validated): ok, full (the link cannot
  // take it now: the caller retries the same frame later) or error (lost).
  virtual Sent send(const uint8_t* frame, size_t len, const abi::NetSlotMeta& meta) = 0;
  // One frame in pieces (a gather frame: its head, then spans of guest
  // memory), len bytes in all. The default joins them and calls send();
  // the TAP writes them with one writev.
  struct Piece {
    const uint8_t* data;
    size_t len;
  };
  virtual Sent send_pieces(const Piece* pieces, int count, size_t len, const abi::NetSlotMeta& meta);
};

// Every frame the device moved or dropped, by reason (--verbose prints them).
struct NetCounters {
  uint64_t tx_frames = 0, tx_bytes = 0, tx_bad_len = 0, tx_link_errors = 0, tx_gso_frames = 0;
  uint64_t tx_gather_frames = 0;  // frames whose payload came from guest memory (kNetFlagGather)
  uint64_t tx_bad_gather = 0;     // gather slots or spans that failed the checks (dropped)
  uint64_t rx_frames = 0, rx_bytes = 0, rx_bad_len = 0, rx_link_errors = 0, rx_gso_frames = 0;
  uint64_t rx_ring_full = 0;   // times the guest's rx ring was full
  uint64_t ring_resets = 0;    // rings reset because the guest broke their indices
  uint64_t guest_wakes = 0;    // kicks sent to the guest
  uint64_t impair_lost = 0, impair_queue_full = 0;
};

struct NetStep {
  bool progress = false;     // a frame moved or a ring changed
  bool tx_blocked = false;   // the link refused a frame: wait for it to drain (POLLOUT)
  bool rx_room = true;       // the rx ring has room: read the link (POLLIN)
  uint64_t next_due = UINT64_MAX;  // the impairment's next held frame (ns)
};

class NetIo {
 public:
  // base: the mapped region (kNetRegionSize bytes, header initialized);
  // wake_guest: ends the guest's `block` (writes the wake eventfd).
  NetIo(void* base, FrameLink& link, std::function<void()> wake_guest);
  ~NetIo();

  // Optional: announces kNetFeatureGather (with the checksum offload) and
  // reads gather frames' spans from mem, which must outlive this object's
  // use (the I/O thread stops before guest memory goes away).
  void enable_gather(const GuestMemory* mem);

  // Optional: impair frames to the guest (--net-impair). The link must then
  // deliver plain frames (no offloads announced: the queue holds up to
  // kNetMaxPlainFrame bytes a frame).
  void set_impairment(const NetImpair& config, uint64_t seed);

  // One pass: transmits what the guest queued, delivers what the link has
  // (up to the room in the rx ring), and kicks the guest if it sleeps and
  // frames arrived. now_ns: CLOCK_MONOTONIC, for the impairment.
  NetStep step(uint64_t now_ns);

  // The sleep handshake (netdev.h): announces tx.consumer_sleeping, fences,
  // re-checks the tx ring; false (announcement withdrawn) if frames arrived.
  bool prepare_sleep();
  void sleep_done();

  const NetCounters& counters() const { return m_counters; }

 private:
  void transmit(NetStep& s);
  // Sends the gather frame of metadata m in the slot at index; nullopt
  // (nothing sent) when its slot or a span fails the checks.
  std::optional<FrameLink::Sent> send_gather(uint32_t index, const abi::NetSlotMeta& m);
  void receive(NetStep& s, uint64_t now_ns);
  void receive_impaired(NetStep& s, uint64_t now_ns);
  // Free rx slots (resets a ring whose tail the guest broke).
  uint32_t rx_room();
  // Copies a frame into the next rx slots (preceded by a skip entry when it
  // would cross the ring's end); false, nothing written, without room.
  bool deliver(const uint8_t* frame, const abi::NetSlotMeta& meta);
  // Whether a received frame is one to deliver (counts the ones that are
  // not); fills meta->len.
  bool rx_frame_ok(ssize_t n, abi::NetSlotMeta* meta);
  // No room for a frame of len bytes: asks the guest for a kick when it
  // frees slots; true if room appeared meanwhile (announcement withdrawn).
  bool wait_for_room(uint32_t len);
  void publish_rx();

  abi::NetHeader* m_header;
  void* m_base;
  FrameLink& m_link;
  std::function<void()> m_wake_guest;
  NetCounters m_counters;
  uint32_t m_rx_head = 0;        // our copy of rx.head (we own it)
  uint32_t m_rx_published = 0;   // last head stored in the region
  uint32_t m_tx_tail = 0;        // our copy of tx.tail (we own it)
  bool m_producer_waiting = false;  // we set rx.producer_waiting
  // A frame read from the link while the ring was full, delivered first.
  std::unique_ptr<uint8_t[]> m_scratch;
  uint32_t m_pending_len = 0;
  abi::NetSlotMeta m_pending_meta{};
  uint32_t m_features = 0;  // the offloads announced in the header
  const GuestMemory* m_mem = nullptr;  // gather frames' spans (enable_gather)
  std::unique_ptr<NetImpairQueue> m_impair;
};

}  // namespace shoal::vmm
