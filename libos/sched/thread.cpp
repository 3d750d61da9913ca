#include "sched/thread.hpp"
#include "sched/exit_hook.hpp"
#include "sched/host_signal.hpp"

#include "arch/x86_64/cpu.hpp"
#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "core/panic.hpp"
#include "sched/io_hooks.hpp"
#include "sched/preempt.hpp"
#include "sched/process.hpp"
#include "sched/snapshot.hpp"
#include "time/clock.hpp"
#include "sched/signal_state.hpp"

extern "C" {
extern uint64_t shoal_kstack_top;
extern char shoal_boot_stack_top[];
void shoal_context_switch(uint64_t* save_rsp, uint64_t new_rsp);
}

namespace libos::sched {

namespace {

Thread* g_current = nullptr;
Thread* g_zombies = nullptr;  // dead threads whose stacks can be freed
int g_live = 0;
size_t g_xsave_size = 4096;
uint64_t g_xsave_mask = 3;

bool alloc_xsave(Thread* t) {
  t->xsave_mem = kzalloc(g_xsave_size + 64);
  if (t->xsave_mem == nullptr) return false;
  t->xsave = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(t->xsave_mem) + 63) & ~uintptr_t{63});
  return true;
}

void unlink(Thread* t) {
  Thread* p = t;
  while (p->next != t) p = p->next;
  p->next = t->next;
}

// Kernel stacks of dead threads, kept for the next clone: freeing one would
// zero 64 KiB (a discard hypercall), and programs create threads in waves.
constexpr int kStackCacheSize = 32;
void* g_stack_cache[kStackCacheSize];
int g_stack_cached = 0;

void* alloc_kstack() {
  if (g_stack_cached > 0) return g_stack_cache[--g_stack_cached];
  return kmalloc(kKernelStackSize);
}

void free_kstack(void* stack) {
  if (stack == nullptr) return;
  if (g_stack_cached < kStackCacheSize) {
    g_stack_cache[g_stack_cached++] = stack;
  } else {
    kfree(stack);
  }
}

void reap() {
  while (g_zombies != nullptr) {
    Thread* t = g_zombies;
    g_zombies = t->next;
    free_kstack(t->kstack_mem);
    kfree(t->xsave_mem);
    kfree(t);
  }
}

void switch_to(Thread* next) {
  Thread* prev = g_current;
  if (next == prev) return;
  cpu::xsave(prev->xsave, g_xsave_mask);
  prev->fs_base = cpu::rdfsbase();
  prev->gs_base = cpu::rdgsbase();
  g_current = next;
  shoal_kstack_top = next->kstack_top;
  cpu::wrfsbase(next->fs_base);
  cpu::wrgsbase(next->gs_base);
  cpu::xrstor(next->xsave, g_xsave_mask);
  shoal_context_switch(&prev->saved_rsp, next->saved_rsp);
  // Back on prev's stack: free what died meanwhile (never ourselves).
  reap();
}

[[noreturn]] void report_deadlock() {
  static const char kMsg[] = "deadlock: every thread is blocked and nothing can wake one";
  shoal::abi::HcReport report{};
  report.kind = static_cast<uint32_t>(shoal::abi::ReportKind::deadlock);
  report.status = 1;
  report.message = reinterpret_cast<uint64_t>(kMsg);
  report.message_len = sizeof(kMsg) - 1;
  hypercall(shoal::abi::Hypercall::report, &report);
  panic("deadlock report returned");
}

// How late a timed block returns after its deadline: the exit, the host's
// wake-up and the re-entry (~50-70 us under kvm_pvm, a few us on VT-x).
// Learned from the blocks that ran to their deadline (a kick ends one early),
// a moving average; capped so that a host too loaded to wake us on time does
// not make the guest spin long. 0 until the first timed block: no spin.
constexpr uint64_t kMaxSpinWaitNs = 100'000;
uint64_t g_block_overshoot_ns = 0;

void learn_block_overshoot(uint64_t deadline) {
  uint64_t end = monotonic_ns();
  if (end < deadline) return;  // woken early (a kick): no measure of the round trip
  uint64_t late = end - deadline;
  if (late > kMaxSpinWaitNs) late = kMaxSpinWaitNs;
  g_block_overshoot_ns = g_block_overshoot_ns == 0 ? late : (g_block_overshoot_ns * 7 + late) / 8;
}

// Scans the whole ring once from start (round robin), waking sleepers whose
// deadline passed, and returns the first runnable thread. With none, blocks
// the vCPU until the earliest deadline and scans again.
Thread* pick_next(Thread* start) {
  for (;;) {
    // What the host did on the channel since the last round (new
    // connections, bytes, room) wakes the threads waiting for it; a kick the
    // threads' writes made due goes out here, once per round.
    g_io_hooks.service();
    uint64_t now = monotonic_ns();
    // Interval timers fire here too: a thread blocked without a deadline
    // must still see SIGALRM (signal_timers_run may wake it).
    uint64_t earliest = signal_timers_run(now);
    // The I/O timers (the network stack's retransmission, delayed ACK, ARP,
    // ...) bound the sleep too; service() above ran the due ones.
    if (uint64_t io_due = g_io_hooks.next_deadline(); io_due < earliest) earliest = io_due;
    Thread* pick = nullptr;
    Thread* t = start;
    uint32_t ready = 0;  // runnable, or waiting with a deadline (preempt.hpp)
    do {
      if (t->state == ThreadState::blocked && t->deadline <= now) {
        t->state = ThreadState::runnable;
        t->timed_out = true;
      }
      if (t->state == ThreadState::runnable) {
        if (pick == nullptr) pick = t;
        ++ready;
      } else if (t->state == ThreadState::blocked && t->deadline != kNoDeadline) {
        ++ready;
        if (t->deadline < earliest) earliest = t->deadline;
      }
      t = t->next;
    } while (t != start);
    // An armed interval timer counts too: its signal must reach a thread
    // that spins until it fires.
    if (g_timer_deadline != kNoDeadline) ++ready;
    preempt_publish(ready);
    if (pick != nullptr) return pick;
    // Nothing to run. With a channel, the host may bring work any moment:
    // watch for it briefly (cheaper than a sleep and a kick), then announce
    // the sleep and re-check before blocking (sched/io_hooks.hpp).
    if (g_io_hooks.idle_spin(earliest)) continue;
    // The snapshot's ready point (sched/snapshot.hpp): every thread waits
    // and, once, a listening socket is open. Before the deadlock check: a
    // server accepting with no way in yet is what a snapshot saves.
    if (g_ready_armed && ready_point()) continue;
    // A signal from outside can end the wait too, when the program handles one.
    // In a family (sched/process.hpp) another process may end or signal
    // this one (kill from a sibling, SIGKILL from its parent): a wait
    // without deadline is a wait there, as on Linux, not a deadlock.
    bool host_signals = host_signals_can_wake() || in_family();
    if (earliest == kNoDeadline && !g_io_hooks.host_can_wake() && !host_signals) report_deadlock();
    // A deadline nearer than a block's round trip is cheaper to wait for
    // here: the exit alone would overshoot it (Go's sysmon sleeps 20 us at a
    // time; an exit is ~50 us under kvm_pvm, PLATFORM.md).
    now = monotonic_ns();
    if (earliest != kNoDeadline && earliest > now && earliest - now < g_block_overshoot_ns) {
      while (monotonic_ns() < earliest) __builtin_ia32_pause();
      continue;
    }
    if (!g_io_hooks.sleep_prepare()) continue;
    // One exit to the monitor until the earliest deadline or a host kick.
    now = monotonic_ns();
    shoal::abi::HcBlock args{earliest == kNoDeadline ? kNoDeadline : (earliest > now ? earliest - now : 0), 0,
                             host_signals ? shoal::abi::kBlockHostSignals : 0u, g_host_signals_seen};
    hypercall(shoal::abi::Hypercall::block, &args);
    host_signals_take();  // wakes the thread that takes one (signal_post)
    if (earliest != kNoDeadline) learn_block_overshoot(earliest);
    g_io_hooks.sleep_done();
    if (args.realtime_ns != 0) clock_resync(args.realtime_ns);
  }
}

// Runs the next runnable thread; returns once the current one runs again.
void schedule() { switch_to(pick_next(g_current->next)); }

[[noreturn]] void refuse_variant(uint64_t want, uint64_t have) {
  char msg[160];
  size_t n = 0;
  auto put = [&](const char* text) {
    while (*text != 0 && n < sizeof msg - 1) msg[n++] = *text++;
  };
  auto put_hex = [&](uint64_t v) {
    char digits[17];
    int len = 0;
    do {
      digits[len++] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    } while (v != 0);
    put("0x");
    while (len > 0 && n < sizeof msg - 1) msg[n++] = digits[--len];
  };
  put("shoal: --cpu-features: the vCPU runs with XCR0 ");
  put_hex(have);
  put(", not the variant's ");
  put_hex(want);
  put(": this KVM does not apply the monitor's XCR0\n");
  msg[n] = 0;
  kprint(msg);
  shoal::abi::HcExit ex{2, 0};
  for (;;) hypercall(shoal::abi::Hypercall::exit, &ex);
}

}  // namespace

size_t xsave_size() { return g_xsave_size; }
uint64_t xsave_mask() { return g_xsave_mask; }

void init(const shoal::abi::BootInfo& boot) {
  host_signals_init(boot);
  snapshot_init(boot);
  // Every xsave/xrstor (switch_to, signal frames) saves exactly XCR0's
  // components, into areas of g_xsave_size bytes: the size must cover them
  // all, or each switch overruns its block (issue 9: under kvm_pvm,
  // CPUID.(0xD,0).EBX reads 576 with XCR0 = 0xe7, which needs 2,432 bytes).
  //
  // The components are XCR0 as the CPU has it (xgetbv), which is not always
  // the one the monitor set: under kvm_pvm the guest runs with the host's
  // XCR0 whatever KVM_SET_XCRS said (PLATFORM.md).
  g_xsave_mask = cpu::xgetbv0();
  if ((boot.cpu_flags & shoal::abi::kCpuVariantStrict) != 0 && g_xsave_mask != boot.xcr0) {
    refuse_variant(boot.xcr0, g_xsave_mask);
  }
  // The monitor's size covers its XCR0 and the host's; trust it when XCR0 is
  // among those, else (an older monitor, a stranger platform) compute it.
  if (boot.xsave_size != 0 && (g_xsave_mask & ~boot.xsave_components) == 0) {
    g_xsave_size = boot.xsave_size;
  } else {
    g_xsave_size = cpu::xsave_area_size(g_xsave_mask);
    if (boot.xsave_size > g_xsave_size) g_xsave_size = boot.xsave_size;
  }
  if (g_xsave_size < shoal::abi::kXsaveMinSize || g_xsave_size % 64 != 0) {
    panic("xsave area size is not a multiple of 64 of at least 576 bytes (CPUID leaf 0xD)");
  }
  // Check the size against the highest enabled component's own sub-leaf
  // (offset + size; in the standard form offsets grow with the component
  // number). cpuid traps to the monitor (~28 us on PVM): this is the only one
  // at start-up when the monitor's size applies, as before.
  if (int top = 63 - __builtin_clzll(g_xsave_mask); top >= 2) {
    cpu::CpuidResult r = cpu::cpuid(0xd, static_cast<uint32_t>(top));
    if (r.eax == 0 || uint64_t{r.ebx} + r.eax > g_xsave_size) {
      panic("xsave area does not cover XCR0's highest component (CPUID leaf 0xD)");
    }
  }

  auto* t = static_cast<Thread*>(kzalloc(sizeof(Thread)));
  LIBOS_ASSERT(t != nullptr);
  LIBOS_ASSERT(alloc_xsave(t));
  t->kstack_top = reinterpret_cast<uint64_t>(shoal_boot_stack_top);
  t->tid = 1;
  t->altstack_flags = uapi::SS_DISABLE;
  t->state = ThreadState::runnable;
  t->deadline = kNoDeadline;
  t->next = t;
  memcpy(t->name, "main", 5);
  g_current = t;
  g_live = 1;
  shoal_kstack_top = t->kstack_top;
}

Thread* current() { return g_current; }

void reset_threads_after_fork(int tid) {
  Thread* keep = g_current;
  Thread* t = keep->next;
  while (t != keep) {
    Thread* next = t->next;
    if (t->state != ThreadState::dead) {
      t->next = g_zombies;
      g_zombies = t;
    }
    t = next;
  }
  keep->next = keep;
  keep->tid = tid;
  g_live = 1;
  reap();
}

Thread* find(int tid) {
  Thread* t = g_current;
  do {
    if (t->tid == tid && t->state != ThreadState::dead) return t;
    t = t->next;
  } while (t != g_current);
  return nullptr;
}

int thread_count() { return g_live; }

Thread* create(uint64_t fs_base) {
  static int next_tid = 2;
  auto* t = static_cast<Thread*>(kzalloc(sizeof(Thread)));
  if (t == nullptr) return nullptr;
  t->kstack_mem = alloc_kstack();
  if (t->kstack_mem == nullptr || !alloc_xsave(t)) {
    free_kstack(t->kstack_mem);
    kfree(t);
    return nullptr;
  }
  t->kstack_top = (reinterpret_cast<uint64_t>(t->kstack_mem) + kKernelStackSize) & ~uint64_t{15};
  // The child starts with the parent's extended state, as after fork on Linux.
  cpu::xsave(t->xsave, g_xsave_mask);
  t->fs_base = fs_base;
  t->gs_base = g_current->gs_base;
  t->sigmask = g_current->sigmask;
  t->altstack_flags = uapi::SS_DISABLE;  // a new thread has no alternate stack
  t->tid = next_tid++;
  t->state = ThreadState::blocked;  // not yet: the caller prepares its stack
  t->deadline = kNoDeadline;
  memcpy(t->name, g_current->name, sizeof(t->name));
  t->next = g_current->next;
  g_current->next = t;
  ++g_live;
  return t;
}

void make_runnable(Thread* t) {
  t->state = ThreadState::runnable;
  preempt_note_wake();
}

void yield() { schedule(); }

bool block(uint64_t deadline) {
  Thread* t = g_current;
  t->state = ThreadState::blocked;
  t->deadline = deadline;
  t->timed_out = false;
  t->sig_wake = false;
  schedule();
  t->deadline = kNoDeadline;
  return !t->timed_out;
}

void interrupt(Thread* t) {
  if (t->state == ThreadState::blocked) {
    if (t->deadline == kNoDeadline) preempt_note_wake();
    t->state = ThreadState::runnable;
    t->timed_out = false;
    t->sig_wake = true;
  }
}

// The current thread, or (while a dead one is leaving) its successor, which
// is still in the ring.
Thread* first() { return g_current->state == ThreadState::dead ? g_current->next : g_current; }

void wake(Thread* t) {
  if (t->state == ThreadState::blocked) {
    if (t->deadline == kNoDeadline) preempt_note_wake();
    t->state = ThreadState::runnable;
    t->timed_out = false;
  }
}

[[noreturn]] void exit_current(int status) {
  Thread* t = g_current;
  --g_live;
  if (g_live == 0) {
    run_exit_hook();
    g_io_hooks.drain_before_exit();
    shoal::abi::HcExit args{status & 0xff, 0};
    hypercall(shoal::abi::Hypercall::exit, &args);
    panic("exit hypercall returned");
  }
  t->state = ThreadState::dead;
  // Leave the ring; the stack is freed by whichever thread runs next
  // (switch_to still saves into t, which is harmless).
  Thread* succ = t->next;
  unlink(t);
  Thread* pick = pick_next(succ);
  t->next = g_zombies;
  g_zombies = t;
  switch_to(pick);
  panic("dead thread resumed");
}

}  // namespace libos::sched
