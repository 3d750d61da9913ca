// Guest test program: drives the channel region directly (no sockets), the
// way the LibOS will, to test the monitor and the host library end to end.
//
//   echo_upper PORT CONNECTIONS
//
// Registers PORT in the listen table, accepts host-opened connections to it
// (refuses any other port), echoes every byte back upper-cased, shuts its
// side after the host's, and releases each slot after the host closed it.
// Meanwhile it opens one connection of its own to service 0 port 9000, sends
// "hello from guest" and prints the answer. Exits 0 after CONNECTIONS
// connections to PORT have completed, printing its counters.
//
// It never enters the LibOS while connections are in flight: no system call
// at all between start-up and the summary (log lines are buffered). The
// LibOS has its own channel layer (libos/net), whose scheduler pass would
// refuse host connections to a port no LibOS socket listens on; a program
// that drives the region itself must keep the LibOS out of the way. So it
// polls with `pause` instead of sleeping, and the host never needs to kick it
// (host-to-guest wake-ups are tested in tests/unit/vmm/channel_boot_test.cpp).
// It kicks the host with `outl` to kChannelKickPort whenever the host
// announced sleep.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <shoal/abi/boot.h>
#include <shoal/abi/channel_ops.h>
#include <shoal/abi/layout.h>

namespace sabi = shoal::abi;

namespace {

sabi::ChannelView g_view;
sabi::ChannelHeader* g_header;
uint64_t g_kicks = 0;

// Log lines, printed at the end (printf is a system call into the LibOS).
char g_log[4096];
size_t g_log_len = 0;
template <typename... Args>
void log(const char* fmt, Args... args) {
  int n = snprintf(g_log + g_log_len, sizeof g_log - g_log_len, fmt, args...);
  if (n > 0)
    g_log_len = g_log_len + static_cast<size_t>(n) < sizeof g_log ? g_log_len + static_cast<size_t>(n)
                                                                  : sizeof g_log - 1;
}

struct Conn {
  bool mine = false;  // accepted by us and not yet released
  bool shut = false;  // our kShutWrite sent
};
Conn g_conns[sabi::kMaxChannelSlots];

void kick_host() {
  // The ioeventfd: KVM signals shoald's TO_HOST_FD without leaving the kernel.
  asm volatile("outl %%eax, %%dx" : : "a"(0), "d"(sabi::kChannelKickPort) : "memory");
  ++g_kicks;
}

void published() {
  sabi::channel_bump_events(g_header, sabi::kSideGuest);
  if (sabi::channel_take_kick(g_header, sabi::kSideHost)) kick_host();
}

char upper(uint8_t c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); }

// One pass over the host-opened slots. Returns true if anything moved.
bool serve(uint32_t port, uint64_t* completed, uint64_t* echoed, uint64_t* refused) {
  bool did = false;
  for (uint32_t i = sabi::channel_host_slots_begin(&g_view); i < sabi::channel_host_slots_end(&g_view); ++i) {
    sabi::ChannelSlot* s = sabi::channel_slot(&g_view, i);
    uint32_t st = sabi::slot_state(s);
    Conn& c = g_conns[i];
    if (st == sabi::kSlotConnecting && !c.mine) {
      if (__atomic_load_n(&s->port, __ATOMIC_RELAXED) == port) {
        if (sabi::slot_accept(s)) c = Conn{true, false};
      } else if (sabi::slot_refuse(s)) {
        if (++*refused <= 30)
          log("refused slot %u: port %u\n", i, __atomic_load_n(&s->port, __ATOMIC_RELAXED));
      }
      did = true;
      continue;
    }
    if (!c.mine) continue;
    sabi::ChannelEnd e = sabi::channel_end(&g_view, i, sabi::kSideGuest);
    uint32_t host_flags = sabi::slot_flags(s, sabi::kSideHost);
    int64_t space = sabi::ring_space(e.tx, e.ring_size);
    if (space < 0 || sabi::ring_readable(e.rx, e.ring_size) < 0 || (host_flags & sabi::kReset)) {
      sabi::slot_set_flags(s, sabi::kSideGuest, sabi::kReset);  // broken: abort
      c.shut = true;
    } else if (space > 0) {
      uint8_t buf[16384];
      uint64_t want = static_cast<uint64_t>(space) < sizeof buf ? static_cast<uint64_t>(space) : sizeof buf;
      int64_t n = sabi::ring_read(e.rx, e.rx_data, e.ring_size, buf, want);
      if (n > 0) {
        for (int64_t k = 0; k < n; ++k) buf[k] = static_cast<uint8_t>(upper(buf[k]));
        sabi::ring_write(e.tx, e.tx_data, e.ring_size, buf, static_cast<uint64_t>(n));
        *echoed += static_cast<uint64_t>(n);
        did = true;
      }
    }
    if (!c.shut && (host_flags & sabi::kShutWrite) && sabi::ring_readable(e.rx, e.ring_size) == 0) {
      sabi::slot_set_flags(s, sabi::kSideGuest, sabi::kShutWrite);
      c.shut = true;
      did = true;
    }
    if (c.shut && (sabi::slot_released(s) & sabi::kReleasedHost)) {
      sabi::slot_release(s, sabi::kSideGuest);
      c.mine = false;
      ++*completed;
      did = true;
    }
  }
  return did;
}

// The guest's own connection to service 0, port 9000.
struct Client {
  int64_t slot = -1;
  bool sent = false, done = false;
  char answer[128] = {};
  uint32_t answer_len = 0;
};

bool client_step(Client& cl) {
  if (cl.done) return false;
  if (cl.slot < 0) {
    for (uint32_t i = sabi::channel_guest_slots_begin(&g_view); i < sabi::channel_guest_slots_end(&g_view);
         ++i) {
      sabi::ChannelSlot* s = sabi::channel_slot(&g_view, i);
      if (!sabi::slot_claim(s)) continue;
      s->service = 0;
      s->port = 9000;
      s->dest_ipv4 = g_header->services[0].ipv4;
      sabi::slot_publish(s);
      cl.slot = i;
      return true;
    }
    return false;
  }
  uint32_t i = static_cast<uint32_t>(cl.slot);
  sabi::ChannelSlot* s = sabi::channel_slot(&g_view, i);
  uint32_t st = sabi::slot_state(s);
  if (st == sabi::kSlotConnecting) return false;
  if (st == sabi::kSlotRefused) {
    log("guest connect: refused\n");
    sabi::slot_free_refused(s);
    cl.done = true;
    return true;
  }
  if (st != sabi::kSlotOpen) return false;
  sabi::ChannelEnd e = sabi::channel_end(&g_view, i, sabi::kSideGuest);
  bool did = false;
  if (!cl.sent) {
    static const char kHello[] = "hello from guest";
    if (sabi::ring_write(e.tx, e.tx_data, e.ring_size, kHello, sizeof kHello - 1) == sizeof kHello - 1) {
      sabi::slot_set_flags(s, sabi::kSideGuest, sabi::kShutWrite);
      cl.sent = true;
      did = true;
    }
  }
  uint32_t host_flags = sabi::slot_flags(s, sabi::kSideHost);
  int64_t n = sabi::ring_read(e.rx, e.rx_data, e.ring_size, cl.answer + cl.answer_len,
                              sizeof cl.answer - 1 - cl.answer_len);
  if (n > 0) {
    cl.answer_len += static_cast<uint32_t>(n);
    did = true;
  } else if (n == 0 && (host_flags & sabi::kShutWrite)) {
    log("guest connect: answer '%s'\n", cl.answer);
    sabi::slot_release(s, sabi::kSideGuest);
    cl.done = true;
    did = true;
  }
  return did;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t port = argc > 1 ? static_cast<uint32_t>(atoi(argv[1])) : 7000;
  uint64_t want = argc > 2 ? strtoull(argv[2], nullptr, 10) : 1;
  const auto* boot = reinterpret_cast<const sabi::BootInfo*>(sabi::kBootInfoAddr);
  if (boot->channel_addr == 0) {
    printf("no channel\n");
    return 2;
  }
  if (boot->channel_addr != sabi::kChannelAddr ||
      !sabi::channel_view_from_header(&g_view, reinterpret_cast<void*>(boot->channel_addr),
                                      boot->channel_size)) {
    printf("bad channel region at %#lx (%lu bytes)\n", static_cast<unsigned long>(boot->channel_addr),
           static_cast<unsigned long>(boot->channel_size));
    return 3;
  }
  g_header = sabi::channel_header(&g_view);
  printf("channel: %u slots, rings of %u bytes, %u services\n", g_view.slot_count, g_view.ring_size,
         g_header->service_count);
  fflush(stdout);
  sabi::channel_listen_add(g_header, port);
  published();

  uint64_t completed = 0, echoed = 0, refused = 0, idle_polls = 0;
  Client client;
  // A stall guard without system calls: ~60 s of TSC at >= 1 GHz.
  uint64_t last_progress = __rdtsc();
  while (completed < want || !client.done) {
    bool did = serve(port, &completed, &echoed, &refused);
    if (g_header->service_count > 0)
      did |= client_step(client);
    else
      client.done = true;
    if (did) {
      published();
      last_progress = __rdtsc();
      continue;
    }
    ++idle_polls;
    for (int i = 0; i < 64; ++i) _mm_pause();
    if (__rdtsc() - last_progress > 60'000'000'000ull) {
      printf("%sstalled: %lu of %lu connections\n", g_log, static_cast<unsigned long>(completed),
             static_cast<unsigned long>(want));
      return 4;
    }
  }
  sabi::channel_listen_remove(g_header, port);
  published();
  printf("%sserved %lu connections, echoed %lu bytes, refused %lu, kicks %lu, idle polls %lu\n", g_log,
         static_cast<unsigned long>(completed), static_cast<unsigned long>(echoed),
         static_cast<unsigned long>(refused), static_cast<unsigned long>(g_kicks),
         static_cast<unsigned long>(idle_polls));
  return 0;
}
