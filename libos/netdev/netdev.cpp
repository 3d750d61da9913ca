// The guest's end of the network device's rings (abi/netdev.h) and the one
// inet::Stack over them. Single-threaded like the rest of the LibOS: called
// from the scheduler's service round, the idle protocol and the socket calls.
//
// rx (monitor -> guest): service() consumes at most kRxBatch frames a round,
// each handed to Stack::input straight from its slot (the monitor writes a
// slot only once we gave it back), then returns the slots and kicks the
// monitor if it waits for room. tx (guest -> monitor): the stack writes into
// the next free slot and tx_commit() publishes it at once, so a polling
// monitor sends it without delay; the kick to a sleeping monitor is sent at
// most once per service round.
#include "netdev/netdev.hpp"

#include <shoal/abi/netdev_ops.h>

#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/panic.hpp"
#include "inet/tcp.hpp"
#include "syscalls/random.hpp"
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
  explicit RingDevice(void* base) : m_base(base), m_header(static_cast<NetHeader*>(base)) {
    m_tx_head = net_load_relaxed(&m_header->tx.head);
    m_rx_tail = net_load_relaxed(&m_header->rx.tail);
  }

  uint8_t* tx_buffer() override {
    uint32_t tail = net_load_acquire(&m_header->tx.tail);
    if (net_ring_used(m_tx_head, tail) >= kNetSlots) return nullptr;  // full (or a confused monitor)
    return net_tx_slot(m_base, m_tx_head);
  }

  void tx_commit(size_t len) override {
    if (len < kNetMinFrame || len > kNetMaxFrame) return;  // the monitor would drop it anyway
    net_store_relaxed(&m_header->tx.len[net_slot_of(m_tx_head)], static_cast<uint32_t>(len));
    ++m_tx_head;
    net_store_release(&m_header->tx.head, m_tx_head);
    m_kick_due = true;
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
      m_rx_tail = head;
      net_store_release(&m_header->rx.tail, m_rx_tail);
      return;
    }
    for (uint32_t n = 0; n < kRxBatch && m_rx_tail != head; ++n, ++m_rx_tail) {
      uint32_t len = net_load_relaxed(&m_header->rx.len[net_slot_of(m_rx_tail)]);
      if (len < kNetMinFrame || len > kNetMaxFrame) continue;
      stack.input(net_rx_slot(m_base, m_rx_tail), len);
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
  void* m_base;
  NetHeader* m_header;
  uint32_t m_tx_head = 0;  // ours: frames published
  uint32_t m_rx_tail = 0;  // ours: frames consumed
  bool m_kick_due = false;
};

RingDevice* g_device = nullptr;
inet::Stack* g_stack = nullptr;

}  // namespace

void init(const BootInfo& boot) {
  if (boot.net_addr == 0) return;
  // SAFETY: the monitor mapped [net_addr, net_addr + net_size) user
  // read-write; the header is checked before any other field is used.
  if (boot.net_addr != kNetAddr) panic("the network region is not at kNetAddr");
  auto* header = reinterpret_cast<NetHeader*>(boot.net_addr);
  if (const char* problem = net_header_problem(header, boot.net_size)) panic(problem);
  if (boot.net_prefix > 32) panic("the network prefix length is over 32");
  inet::StackConfig config;
  memcpy(config.mac, boot.net_mac, sizeof config.mac);
  config.ip = boot.net_ipv4;
  config.prefix = boot.net_prefix;
  config.gateway = boot.net_gateway;
  config.mtu = boot.net_mtu != 0 && boot.net_mtu <= kNetMtu ? boot.net_mtu : kNetMtu;
  g_device = inet::create<RingDevice>(reinterpret_cast<void*>(boot.net_addr));
  if (g_device == nullptr) panic("out of memory creating the network device");
  g_stack = inet::create<inet::Stack>(config, *g_device, &random32);
  if (g_stack == nullptr) panic("out of memory creating the network stack");
  g_stack->set_now(monotonic_ns());
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
    shoal::abi::HcBlock args{deadline - now, 0};
    hypercall(shoal::abi::Hypercall::block, &args);
    g_device->sleep_done();
  }
}

}  // namespace libos::netdev
