// The guest's end of the network device's rings (abi/netdev.h) and the one
// inet::Stack over them. Single-threaded like the rest of the LibOS: called
// from the scheduler's service round, the idle protocol and the socket calls.
//
// Offloads (netdev.h version 2): with the monitor's kNetFeatureCsum and
// kNetFeatureTso4 the stack sends TCP super-frames with partial checksums
// and receives the host's, the checksum vouched for by the flags.
//
// rx (monitor -> guest): service() consumes at most kRxBatch frames a round,
// each handed to Stack::input straight from its slot (the monitor writes a
// slot only once we gave it back), then returns the slots and kicks the
// monitor if it waits for room. tx (guest -> monitor): the stack writes into
// the next free slot and tx_commit() publishes it at once, so a polling
// monitor sends it without delay; the kick to a sleeping monitor is sent at
// most once per service round.
#include "netdev/netdev.hpp"

#include "sched/host_signal.hpp"

#include <shoal/abi/netdev_ops.h>

#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/panic.hpp"
#include "inet/tcp.hpp"
#include "core/random.hpp"
#include "mm/kmalloc.hpp"
#include "time/clock.hpp"

namespace libos::netdev {
namespace {

using namespace shoal::abi;

// Frames handed to the stack per service round: bounds the time one round
// spends in the stack, so threads run between batches under a flood.
constexpr uint32_t kRxBatch = 64;

uint32_t random32() {
  uint32_t v;
  random_bytes(&v, sizeof v);
  return v;
}

void kick_monitor() {
  // An ioeventfd in KVM: the exit ends in the host kernel (~22 us here,
  // PLATFORM.md); the TSS I/O bitmap opens this port to ring 3.
  asm volatile("outl %0, %1" : : "a"(0u), "Nd"(kNetKickPort) : "memory");
}

class RingDevice final : public inet::Device {
 public:
  explicit RingDevice(void* base) : m_base(base), m_header(static_cast<NetHeader*>(base)) { attach(); }

  // Takes the rings' indices and features from the header: at start, and
  // after a resume, when the region is this instance's new one (the frames
  // of the saved instance's rings are gone, and so is the monitor that could
  // still read memory of gathered frames: that memory is free at once).
  void attach() {
    m_tx_head = net_load_relaxed(&m_header->tx.head);
    m_rx_tail = net_load_relaxed(&m_header->rx.tail);
    m_features = net_load_relaxed(&m_header->features);
    m_tx_skip = false;
    m_kick_due = false;
    m_gather_live = false;
    while (m_retired != nullptr) {
      Retired* r = m_retired;
      m_retired = r->next;
      kfree(r->memory);
      kfree(r);
    }
    m_retired_tail = nullptr;
  }

  uint32_t features() const { return m_features; }

  uint8_t* tx_buffer() override { return tx_buffer_large(kNetMaxPlainFrame); }

  // Room for a frame of len bytes: its slots, after a skip entry when it
  // would cross the ring's end (written by the commit, never before).
  uint8_t* tx_buffer_large(size_t len) override {
    if (len > kNetMaxFrame) return nullptr;
    uint32_t tail = net_load_acquire(&m_header->tx.tail);
    uint32_t used = net_ring_used(m_tx_head, tail);
    if (used > kNetSlots) return nullptr;  // a confused monitor
    bool skip = false;
    if (net_plan_put(m_tx_head, kNetSlots - used, net_slots_for(static_cast<uint32_t>(len)), &skip) == 0) {
      return nullptr;  // full
    }
    m_tx_skip = skip;
    return net_tx_slot(m_base, skip ? m_tx_head + net_slots_to_end(m_tx_head) : m_tx_head);
  }

  void tx_commit(size_t len) override { publish(len, NetSlotMeta{}); }

  void tx_commit_offload(size_t len, const inet::TxOffload& off) override {
    NetSlotMeta meta{};
    if (off.csum_partial) {
      meta.flags = kNetFlagCsumPartial;
      meta.csum_start = off.csum_start;
      meta.csum_offset = off.csum_offset;
    }
    if (off.gso_size != 0) {
      meta.gso_type = kNetGsoTcpv4;
      meta.gso_size = off.gso_size;
    }
    publish(len, meta);
  }

  bool gathers() const override { return (m_features & kNetFeatureGather) != 0; }

  // One slot holding a NetGather: the stack writes the frame's head into it.
  uint8_t* tx_buffer_gather() override {
    uint8_t* slot = tx_buffer_large(kNetSlotSize);
    return slot == nullptr ? nullptr : slot + offsetof(NetGather, head);
  }

  void tx_commit_gather(size_t head_len, const inet::TxSpan* spans, int count, size_t len,
                        const inet::TxOffload& off) override {
    if (head_len > kNetGatherHeadMax || count < 1 || count > static_cast<int>(kNetGatherSpans)) return;
    uint8_t* slot = net_tx_slot(m_base, m_tx_skip ? m_tx_head + net_slots_to_end(m_tx_head) : m_tx_head);
    auto* g = reinterpret_cast<NetGather*>(slot);
    g->head_len = static_cast<uint32_t>(head_len);
    g->spans = static_cast<uint32_t>(count);
    for (int i = 0; i < count; ++i) {
      // Guest-physical = guest-virtual: the LibOS's heap is identity-mapped.
      g->span[i].addr = reinterpret_cast<uint64_t>(spans[i].data);
      g->span[i].len = spans[i].len;
      g->span[i].reserved = 0;
    }
    NetSlotMeta meta{};
    meta.flags = kNetFlagGather | kNetFlagCsumPartial;
    meta.csum_start = off.csum_start;
    meta.csum_offset = off.csum_offset;
    if (off.gso_size != 0) {
      meta.gso_type = kNetGsoTcpv4;
      meta.gso_size = off.gso_size;
    }
    publish(len, meta, 1);
    m_gather_head = m_tx_head;
    m_gather_live = true;
  }

  // Memory a gather frame may still read waits until the monitor's tail
  // passes the last such frame published before it was retired. The list
  // node is separate: the memory's own bytes may still be read (a frame
  // after a reset), so nothing is written into them.
  bool retire_tx_memory(void* p) override {
    if (!gather_pending()) return false;
    auto* r = static_cast<Retired*>(kmalloc(sizeof(Retired)));
    // Without a node the memory cannot be tracked: keep it (a leak of one
    // buffer) rather than free what the monitor may still read.
    if (r == nullptr) return true;
    r->memory = p;
    r->next = nullptr;
    r->until = m_gather_head;
    if (m_retired_tail != nullptr) m_retired_tail->next = r;
    else m_retired = r;
    m_retired_tail = r;
    return true;
  }

  // Frees what the monitor no longer reads (each service round).
  void reap_retired() {
    if (m_retired == nullptr) return;
    uint32_t tail = net_load_acquire(&m_header->tx.tail);
    while (m_retired != nullptr && static_cast<int32_t>(tail - m_retired->until) >= 0) {
      Retired* r = m_retired;
      m_retired = r->next;
      kfree(r->memory);
      kfree(r);
    }
    if (m_retired == nullptr) m_retired_tail = nullptr;
  }

  // Kicks the monitor if frames were published since the last flush and it
  // announced that it sleeps (publish, full fence, look: netdev.h).
  void flush_kick() {
    if (!m_kick_due) return;
    m_kick_due = false;
    net_full_fence();
    if (net_load_relaxed(&m_header->tx.consumer_sleeping) != 0) kick_monitor();
  }

  bool rx_pending() const { return net_load_acquire(&m_header->rx.head) != m_rx_tail; }

  void receive(inet::Stack& stack) {
    uint32_t head = net_load_acquire(&m_header->rx.head);
    if (head == m_rx_tail) return;
    if (!net_ring_sane(head, m_rx_tail)) {
      // Never from a correct monitor; resynchronize rather than read garbage.
      resync(head);
      return;
    }
    bool offload = (m_features & kNetFeatureCsum) != 0;
    for (uint32_t n = 0; n < kRxBatch && m_rx_tail != head;) {
      NetSlotMeta m = net_load_meta(&m_header->rx.meta[net_slot_of(m_rx_tail)]);
      uint32_t published = head - m_rx_tail;
      if (m.flags == kNetFlagSkip && net_slots_to_end(m_rx_tail) <= published) {
        m_rx_tail += net_slots_to_end(m_rx_tail);
        continue;
      }
      uint32_t slots = m.len >= kNetMinFrame && m.len <= kNetMaxFrame ? net_slots_for(m.len) : 0;
      if (slots == 0 || slots > published || slots > net_slots_to_end(m_rx_tail)) {
        resync(head);  // never from a correct monitor
        return;
      }
      // A partial checksum comes from the host's own stack (never off a
      // wire); DATA_VALID: the host checked it.
      bool trusted = offload && (m.flags & (kNetFlagCsumPartial | kNetFlagDataValid)) != 0;
      stack.input(net_rx_slot(m_base, m_rx_tail), m.len, trusted);
      m_rx_tail += slots;
      ++n;
    }
    net_store_release(&m_header->rx.tail, m_rx_tail);
    // The monitor may hold a frame because the ring was full: it asked for a kick.
    net_full_fence();
    if (net_load_relaxed(&m_header->rx.producer_waiting) != 0) kick_monitor();
  }

  bool sleep_prepare() {
    flush_kick();
    net_store_relaxed(&m_header->rx.consumer_sleeping, 1);
    net_full_fence();
    if (rx_pending()) {
      net_store_relaxed(&m_header->rx.consumer_sleeping, 0);
      return false;
    }
    return true;
  }

  void sleep_done() { net_store_relaxed(&m_header->rx.consumer_sleeping, 0); }

 private:
  struct Retired {
    Retired* next;
    void* memory;    // freed once the tail reaches until
    uint32_t until;  // tx head after the last gather frame that may read it
  };

  // Whether a gather frame published so far may not have left yet.
  bool gather_pending() {
    if (!m_gather_live) return false;
    uint32_t tail = net_load_acquire(&m_header->tx.tail);
    if (static_cast<int32_t>(tail - m_gather_head) >= 0) m_gather_live = false;
    return m_gather_live;
  }

  // Publishes the frame written into the buffer of the last tx_buffer*():
  // len bytes in ceil(len / slot size) slots, or `slots` (a gather frame).
  void publish(size_t len, const NetSlotMeta& meta, uint32_t slots = 0) {
    if (len < kNetMinFrame || len > kNetMaxFrame) return;  // the monitor would drop it anyway
    if (m_tx_skip) {
      NetSlotMeta marker{};
      marker.flags = kNetFlagSkip;
      net_store_meta(&m_header->tx.meta[net_slot_of(m_tx_head)], marker);
      m_tx_head += net_slots_to_end(m_tx_head);
      m_tx_skip = false;
    }
    NetSlotMeta m = meta;
    m.len = static_cast<uint32_t>(len);
    net_store_meta(&m_header->tx.meta[net_slot_of(m_tx_head)], m);
    m_tx_head += slots != 0 ? slots : net_slots_for(m.len);
    net_store_release(&m_header->tx.head, m_tx_head);
    m_kick_due = true;
  }

  void resync(uint32_t head) {
    m_rx_tail = head;
    net_store_release(&m_header->rx.tail, m_rx_tail);
  }

  void* m_base;
  NetHeader* m_header;
  uint32_t m_tx_head = 0;  // ours: slots published
  uint32_t m_rx_tail = 0;  // ours: slots consumed
  uint32_t m_features = 0;
  bool m_tx_skip = false;  // the pending tx buffer follows a skip entry
  bool m_kick_due = false;
  uint32_t m_gather_head = 0;   // tx head after the last gather frame
  bool m_gather_live = false;   // that frame may not have left yet
  Retired* m_retired = nullptr;  // memory waiting for the tail, oldest first
  Retired* m_retired_tail = nullptr;
};

RingDevice* g_device = nullptr;
inet::Stack* g_stack = nullptr;

// Checks the region BootInfo describes and the stack's settings from it
// (offloads aside: they depend on the device's features).
NetHeader* checked_region(const BootInfo& boot, inet::StackConfig* config) {
  // SAFETY: the monitor mapped [net_addr, net_addr + net_size) user
  // read-write; the header is checked before any other field is used.
  if (boot.net_addr != kNetAddr) panic("the network region is not at kNetAddr");
  auto* header = reinterpret_cast<NetHeader*>(boot.net_addr);
  if (const char* problem = net_header_problem(header, boot.net_size)) panic(problem);
  if (boot.net_prefix > 32) panic("the network prefix length is over 32");
  memcpy(config->mac, boot.net_mac, sizeof config->mac);
  config->ip = boot.net_ipv4;
  config->prefix = boot.net_prefix;
  config->gateway = boot.net_gateway;
  config->mtu = boot.net_mtu != 0 && boot.net_mtu <= kNetMtu ? boot.net_mtu : kNetMtu;
  // IPv6: the link-local address always; the static one when the monitor
  // wrote a prefix length in range (the header is guest-writable: checked).
  config->ipv6 = true;
  uint8_t prefix6 = header->ipv6_prefix;
  if (prefix6 >= 1 && prefix6 <= 128) {
    memcpy(config->ip6, header->ipv6, sizeof config->ip6);
    config->ip6_prefix = prefix6;
  }
  return header;
}

}  // namespace

void init(const BootInfo& boot) {
  if (boot.net_addr == 0) return;
  inet::StackConfig config;
  checked_region(boot, &config);
  g_device = inet::create<RingDevice>(reinterpret_cast<void*>(boot.net_addr));
  if (g_device == nullptr) panic("out of memory creating the network device");
  config.offload_csum = (g_device->features() & kNetFeatureCsum) != 0;
  config.offload_tso4 = config.offload_csum && (g_device->features() & kNetFeatureTso4) != 0;
  g_stack = inet::create<inet::Stack>(config, *g_device, &random32);
  if (g_stack == nullptr) panic("out of memory creating the network stack");
  g_stack->set_now(monotonic_ns());
}

void rebind(const BootInfo& boot) {
  if (g_stack == nullptr) return;
  // The monitor refuses a resume without the device the snapshot has.
  if (boot.net_addr == 0) panic("a snapshot with a network device resumed without one");
  inet::StackConfig config;
  checked_region(boot, &config);
  g_device->attach();
  g_stack->set_now(monotonic_ns());
  g_stack->rebind(config);
  g_device->flush_kick();
}

inet::Stack* stack() { return g_stack; }
bool present() { return g_stack != nullptr; }

void service() {
  if (g_stack == nullptr) return;
  uint64_t now = monotonic_ns();
  g_stack->set_now(now);
  g_device->receive(*g_stack);
  if (g_stack->next_deadline() <= now) g_stack->run_timers();
  g_device->flush_kick();
  g_device->reap_retired();
}

uint64_t next_deadline() { return g_stack == nullptr ? inet::kNever : g_stack->next_deadline(); }

bool rx_pending() { return g_device != nullptr && g_device->rx_pending(); }

bool sleep_prepare() { return g_device == nullptr || g_device->sleep_prepare(); }

void sleep_done() {
  if (g_device != nullptr) g_device->sleep_done();
}

void drain_before_exit() {
  if (g_stack == nullptr) return;
  uint64_t end = monotonic_ns() + kExitDrainNs;
  for (;;) {
    service();
    if (!g_stack->tcp().sending()) return;
    uint64_t now = monotonic_ns();
    if (now >= end) return;
    // Sleep until the stack's next timer (a retransmission) or a frame (an
    // ACK); the idle protocol of net/service.hpp, for this device only.
    uint64_t deadline = g_stack->next_deadline() < end ? g_stack->next_deadline() : end;
    if (deadline <= now || !g_device->sleep_prepare()) continue;
    shoal::abi::HcBlock args{deadline - now, 0, 0, g_host_signals_seen};
    hypercall(shoal::abi::Hypercall::block, &args);
    g_device->sleep_done();
  }
}

}  // namespace libos::netdev
