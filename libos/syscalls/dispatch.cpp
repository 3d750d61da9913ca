// The system-call dispatcher, called by shoal_syscall_entry on the current
// thread's kernel stack with the program's registers in a SyscallFrame.
#include "core/errno.hpp"
#include "core/panic.hpp"
#include "sched/thread.hpp"
#include "core/boot_flags.hpp"
#include "syscalls/invoke.hpp"
#include "syscalls/names.hpp"
#include "sched/signal_state.hpp"
#include "syscalls/table.hpp"
#include "time/clock.hpp"

namespace libos {

namespace {

// One bit per number, so each unimplemented call is named once.
uint64_t g_reported[512 / 64];

long unimplemented(uint64_t nr) {
  if (verbose() && nr < 512 && (g_reported[nr / 64] & (uint64_t{1} << (nr % 64))) == 0) {
    g_reported[nr / 64] |= uint64_t{1} << (nr % 64);
    const char* name = syscall_name(nr);
    kprint("shoal: unimplemented system call ");
    kprint(name != nullptr ? name : "?");
    kprint(" (");
    kprint_u64(nr);
    kprint(")\n");
  } else if (verbose() && nr >= 512) {
    kprint("shoal: unknown system call number ");
    kprint_u64(nr);
    kprint("\n");
  }
  return -ENOSYS;
}

// --verbose: how often each call ran and the time spent in it (blocking
// included), printed at exit_group, to compare with `strace -c -f` of the
// same program natively (docs/benchmarks.md, "Runtimes").
struct CallStat {
  uint64_t count;
  uint64_t ns;
};
CallStat g_stats[512];

void print_stats() {
  uint64_t total = 0;
  for (const CallStat& s : g_stats) total += s.count;
  kprint("shoal: system calls: ");
  kprint_u64(total);
  kprint(" (calls, us inside, by count)\n");
  // The 20 most frequent: a selection by repeated maximum (512 entries, once).
  bool shown[512] = {};
  for (int row = 0; row < 20; ++row) {
    int best = -1;
    for (int nr = 0; nr < 512; ++nr) {
      if (!shown[nr] && g_stats[nr].count != 0 && (best < 0 || g_stats[nr].count > g_stats[best].count)) best = nr;
    }
    if (best < 0) break;
    shown[best] = true;
    const char* name = syscall_name(static_cast<uint64_t>(best));
    kprint("shoal:   ");
    kprint(name != nullptr ? name : "?");
    kprint(" ");
    kprint_u64(g_stats[best].count);
    kprint(" ");
    kprint_u64(g_stats[best].ns / 1000);
    kprint("\n");
  }
}

}  // namespace

}  // namespace libos

namespace libos {
namespace {

long dispatch(SyscallFrame& frame) {
  switch (frame.nr) {
#define SHOAL_SYSCALL_CASE(name, nr, fn) \
  case nr:                               \
    return SyscallInvoker<&fn>::invoke(frame);
    SHOAL_SYSCALLS(SHOAL_SYSCALL_CASE)
#undef SHOAL_SYSCALL_CASE
    default:
      return unimplemented(frame.nr);
  }
}

// dispatch, counted and timed under --verbose (print_stats).
long dispatch_counted(SyscallFrame& frame) {
  if (__builtin_expect(!verbose(), 1) || frame.nr >= 512) return dispatch(frame);
  uint64_t number = frame.nr;
  if (number == nr::exit_group) print_stats();
  uint64_t t0 = monotonic_ns();
  long result = dispatch(frame);
  g_stats[number].count++;
  g_stats[number].ns += monotonic_ns() - t0;
  return result;
}

// System calls a handler with SA_RESTART restarts after -EINTR (Linux's
// -ERESTARTSYS family); the sleeps and waits return -EINTR regardless.
bool restartable(uint64_t number) {
  switch (number) {
    case nr::read: case nr::write: case nr::ioctl: case nr::pread64: case nr::pwrite64:
    case nr::readv: case nr::writev: case nr::open: case nr::openat: case nr::wait4:
    case nr::futex: case nr::fcntl: case nr::accept: case nr::accept4: case nr::sendto:
    case nr::recvfrom: case nr::sendmsg: case nr::recvmsg:
      return true;
    default:
      return false;
  }
}

}  // namespace
}  // namespace libos

// Signals are taken here, at the exit of a system call: the only points at
// which a cooperative, interrupt-free guest can be interrupted.
extern "C" long shoal_syscall_dispatch(libos::SyscallFrame* frame) {
  libos::sched::Thread* t = libos::sched::current();
  if (__builtin_expect(t->sig_record != nullptr, 0)) signal_check_escape(*frame);
  t->cur_frame = frame;
  for (;;) {
    long result = libos::dispatch_counted(*frame);
    if (__builtin_expect(!libos::signal_attention(), 1)) return result;
    bool restart = libos::restartable(frame->nr);  // in: may restart; out: must
    result = libos::signal_deliver(*frame, result, &restart);
    if (!restart || !libos::restartable(frame->nr)) return result;
    libos::sched::current()->cur_frame = frame;
  }
}
