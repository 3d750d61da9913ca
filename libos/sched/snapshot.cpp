#include "sched/snapshot.hpp"

#include <shoal/abi/layout.h>

#include "arch/x86_64/cpu.hpp"
#include "core/family.hpp"
#include "core/boot_flags.hpp"
#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/panic.hpp"
#include "core/random.hpp"
#include "sched/io_hooks.hpp"
#include "time/clock.hpp"

namespace libos::sched {

bool g_ready_armed = false;

namespace {

// Reads a BootInfo field the monitor rewrote while the guest was stopped.
// SAFETY: BootInfo is the read-only page at kBootInfoAddr; the compiler must
// not reuse a value it loaded before the hypercall (volatile).
template <typename T>
T fresh(const T& field) {
  return *reinterpret_cast<const volatile T*>(&field);
}

// What every instance resumed from one snapshot must not share. Order: the
// clocks first (the other steps read them), then the entropy, then the I/O.
void rebind(const shoal::abi::BootInfo& boot, const shoal::abi::HcReady& ready, uint64_t monotonic_at_save) {
  uint64_t realtime = ready.realtime_ns != 0 ? ready.realtime_ns : fresh(boot.realtime_ns);
  clock_rebase(monotonic_at_save, fresh(boot.tsc_khz), realtime, fresh(boot.instance_start_realtime_ns));
  uint64_t start = monotonic_ns();
  uint8_t seed[sizeof boot.resume_random];
  for (size_t i = 0; i < sizeof seed; ++i) seed[i] = fresh(boot.resume_random[i]);
  random_rekey(seed, cpu::rdtsc());
  memset(seed, 0, sizeof seed);
  g_io_hooks.rebind(boot);
  if (verbose()) {
    uint64_t took_us = (monotonic_ns() - start) / 1000;
    kprint("shoal: resumed from a snapshot (instance ");
    kprint_u64(fresh(boot.resume_count));
    kprint("), re-bound in ");
    kprint_u64(took_us);
    kprint(" us\n");
  }
}

}  // namespace

void snapshot_init(const shoal::abi::BootInfo& boot) {
  g_ready_armed = (boot.flags & shoal::abi::kBootSnapshot) != 0;
}

bool ready_point() {
  const shoal::abi::BootInfo& boot = boot_info();
  uint32_t port = g_io_hooks.ready_port(boot.snapshot_port);
  if (port == 0) return false;
  // Once per boot: a resumed instance finds this false in the saved memory.
  g_ready_armed = false;
  // The family region (System V IPC, /dev/shm) is not part of a snapshot,
  // and a resumed instance would not have its memory slot: no snapshot of
  // an instance that has used it.
  if (family::contains(shoal::abi::kFamilyAddr, 1)) {
    kprint("shoal: no snapshot at the ready point: the program uses shared memory (System V IPC or /dev/shm), "
           "which a snapshot does not hold\n");
    return false;
  }
  // Above 0xffff: an AF_UNIX listener (net/service.hpp), which has no port.
  uint32_t shown = port > 0xffff ? 0 : port;
  if (verbose()) {
    kprint("shoal: ready point: listening on port ");
    kprint_u64(shown);
    kprint("\n");
  }
  shoal::abi::HcReady args{};
  args.port = shown;
  // The last clock reading of the saved instance: a resumed one goes on from
  // here, so CLOCK_MONOTONIC never goes back.
  uint64_t monotonic_at_save = monotonic_ns();
  hypercall(shoal::abi::Hypercall::ready, &args);
  switch (args.result) {
    case shoal::abi::kReadyResumed:
      rebind(boot, args, monotonic_at_save);
      break;
    case shoal::abi::kReadySaved:
      break;
    default:
      // The save failed (or a monitor without snapshots): the instance goes on.
      if (verbose()) kprint("shoal: the snapshot at the ready point was not saved\n");
      break;
  }
  return true;
}

}  // namespace libos::sched
