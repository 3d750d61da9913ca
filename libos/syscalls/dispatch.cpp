// The system-call dispatcher, called by shoal_syscall_entry on the current
// thread's kernel stack with the program's registers in a SyscallFrame.
#include "core/errno.hpp"
#include "core/panic.hpp"
#include "sched/thread.hpp"
#include "syscalls/boot_flags.hpp"
#include "syscalls/invoke.hpp"
#include "syscalls/names.hpp"
#include "syscalls/table.hpp"

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

}  // namespace

}  // namespace libos

extern "C" long shoal_syscall_dispatch(libos::SyscallFrame* frame) {
  if (__builtin_expect(libos::sched::current()->handler_saved_top != 0, 0)) {
    signal_check_escape(*frame);
  }
  switch (frame->nr) {
#define SHOAL_SYSCALL_CASE(name, nr, fn) \
  case nr:                               \
    return libos::SyscallInvoker<&fn>::invoke(*frame);
    SHOAL_SYSCALLS(SHOAL_SYSCALL_CASE)
#undef SHOAL_SYSCALL_CASE
    default:
      return libos::unimplemented(frame->nr);
  }
}
