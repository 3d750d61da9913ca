#include "net/channel/channel.hpp"

#include "core/klib.hpp"
#include "core/panic.hpp"

namespace libos::net {
namespace {

using namespace shoal::abi;

ChannelView g_view;
bool g_present = false;
Service g_services[kMaxServices];
int g_service_count = 0;
uint32_t g_seen_host_events = 0;
bool g_kick_due = false;

// Names resolvable through /etc/hosts: [a-z0-9-] (channel.h) and dots, not
// empty, NUL-terminated inside the field.
bool valid_name(const char* name, size_t max) {
  size_t len = 0;
  while (len < max && name[len] != '\0') ++len;
  if (len == 0 || len == max) return false;
  for (size_t i = 0; i < len; ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void copy_services(ChannelHeader* h) {
  uint32_t count = __atomic_load_n(&h->service_count, __ATOMIC_ACQUIRE);
  if (count > kMaxServices) count = kMaxServices;  // validated already; keep it local
  for (uint32_t i = 0; i < count; ++i) {
    Service s{};
    // NOTE: the host could still scribble here; copy once, validate the copy.
    memcpy(s.name, h->services[i].name, sizeof(s.name));
    s.ipv4 = __atomic_load_n(&h->services[i].ipv4, __ATOMIC_RELAXED);
    if (!valid_name(s.name, sizeof(s.name)) || s.ipv4 == 0) {
      kprint("shoal: channel service entry ");
      kprint_u64(i);
      kprint(" is malformed; ignored\n");
      continue;
    }
    g_services[g_service_count++] = s;
  }
}

}  // namespace

void channel_init(const BootInfo& boot) {
  if (boot.channel_addr == 0) return;
  // SAFETY: the monitor mapped [channel_addr, channel_addr + channel_size)
  // user read-write; channel_view_from_header reads only inside it and checks
  // every field it keeps.
  if (boot.channel_addr != kChannelAddr ||
      !channel_view_from_header(&g_view, reinterpret_cast<void*>(boot.channel_addr), boot.channel_size)) {
    panic("the channel region is malformed (bad magic, version or geometry)");
  }
  g_present = true;
  copy_services(channel_header(&g_view));
  g_seen_host_events = channel_events(channel_header(&g_view), kSideHost);
}

void channel_rebind(const BootInfo& boot) {
  if (!g_present) return;
  // The monitor refuses a resume without the channel the snapshot has.
  if (boot.channel_addr == 0) panic("a snapshot with a channel resumed without one");
  if (boot.channel_addr != kChannelAddr ||
      !channel_view_from_header(&g_view, reinterpret_cast<void*>(boot.channel_addr), boot.channel_size)) {
    panic("the channel region is malformed (bad magic, version or geometry)");
  }
  g_service_count = 0;
  copy_services(channel_header(&g_view));
  g_seen_host_events = channel_events(channel_header(&g_view), kSideHost);
  g_kick_due = false;
}

bool channel_present() { return g_present; }
const ChannelView* channel_view() { return &g_view; }
ChannelHeader* channel_header() { return shoal::abi::channel_header(&g_view); }

int service_count() { return g_service_count; }
const Service& service_at(int index) { return g_services[index]; }

int service_by_ipv4(uint32_t ipv4) {
  for (int i = 0; i < g_service_count; ++i) {
    if (g_services[i].ipv4 == ipv4) return i;
  }
  return -1;
}

void channel_changed() {
  channel_bump_events(channel_header(), kSideGuest);
  g_kick_due = true;
}

void channel_consumed(const ChannelRing* rx, uint32_t tail_before, uint32_t ring_size) {
  channel_bump_events(channel_header(), kSideGuest);
  if (ring_producer_may_wait(rx, tail_before, ring_size)) g_kick_due = true;
}

void kick_flush() {
  if (!g_kick_due) return;
  g_kick_due = false;
  // channel_take_kick fences, then takes the host's announcement: only a host
  // that said it sleeps costs an exit (an ioeventfd, handled in the host
  // kernel; the TSS I/O bitmap opens this port to ring 3).
  if (channel_take_kick(channel_header(), kSideHost)) {
    asm volatile("outl %0, %1" : : "a"(0u), "Nd"(kChannelKickPort) : "memory");
  }
}

bool host_events_pending() {
  return g_present && channel_events(channel_header(), kSideHost) != g_seen_host_events;
}

bool host_events_changed() {
  if (!g_present) return false;
  uint32_t ev = channel_events(channel_header(), kSideHost);
  if (ev == g_seen_host_events) return false;
  g_seen_host_events = ev;
  return true;
}

}  // namespace libos::net
