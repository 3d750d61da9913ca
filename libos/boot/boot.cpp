// The composition root: from shoal_libos_start (arch/x86_64/start.S) to the
// program's entry point. The only file that knows every subsystem: it starts
// them bottom-up (time, memory, entropy, threads, files, network), maps a
// dynamic program's interpreter (boot/interp.hpp), then builds the initial
// stack a Linux binary expects and enters the program (or its interpreter).
#include <shoal/abi/boot.h>
#include <shoal/abi/layout.h>

#include "boot/interp.hpp"
#include "core/boot_flags.hpp"
#include "exec/user_stack.hpp"
#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "core/panic.hpp"
#include "core/random.hpp"
#include "fs/init.hpp"
#include "ipc/region.hpp"
#include "net/init.hpp"
#include "mm/page_alloc.hpp"
#include "sched/signal_state.hpp"
#include "sched/thread.hpp"
#include "time/clock.hpp"

extern "C" {
extern uint64_t shoal_boot_tsc;
// TSC when the program's first instruction runs (boot-time split).
uint64_t shoal_app_entry_tsc = 0;
[[noreturn]] void shoal_enter_app(uint64_t entry, uint64_t user_rsp);
[[noreturn]] void libos_main(const shoal::abi::BootInfo* boot);
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
}

namespace libos {

namespace {

// The argument strings the monitor packed (argv, envp, then the program's
// path), on the initial stack as Linux lays it out (exec/user_stack.hpp).
// interp_base: AT_BASE, where a dynamic program's interpreter is mapped (0
// for a static program).
uint64_t build_boot_stack(const shoal::abi::BootInfo& boot, uint64_t interp_base) {
  const uint32_t argc = boot.argc, envc = boot.envc;
  const char* strings = reinterpret_cast<const char*>(boot.args_addr);
  const char* strings_end = strings + boot.args_size;
  LIBOS_ASSERT(boot.args_addr >= shoal::abi::kArgsAddr && boot.args_size <= shoal::abi::kArgsEnd - boot.args_addr);
  LIBOS_ASSERT(argc + envc < 65536);

  // Pointers to each string in the args block, in order: argv, envp, exe.
  auto** src = static_cast<const char**>(kmalloc((argc + envc + 1) * sizeof(char*)));
  auto* lens = static_cast<size_t*>(kmalloc((argc + envc + 1) * sizeof(size_t)));
  LIBOS_ASSERT(src != nullptr && lens != nullptr);
  const char* p = strings;
  for (uint32_t i = 0; i < argc + envc + 1; ++i) {
    const char* q = p;
    while (q < strings_end && *q != '\0') ++q;
    if (q >= strings_end) panic("BootInfo argument strings are not NUL-terminated");
    src[i] = p;
    lens[i] = static_cast<size_t>(q - p);
    p = q + 1;
  }
  exec::StackImage img;
  img.strings = src;
  img.lengths = lens;
  img.argc = argc;
  img.envc = envc;
  img.execfn = src[argc + envc];
  img.execfn_len = lens[argc + envc];
  img.phdr = boot.app_phdr;
  img.phent = boot.app_phent;
  img.phnum = boot.app_phnum;
  img.entry = boot.app_entry;
  img.interp_base = interp_base;
  img.random = boot.random;
  img.hwcap = boot.hwcap;
  img.hwcap2 = boot.hwcap2;
  uint64_t sp = exec::build_user_stack(boot.stack_top, img);
  kfree(lens);
  kfree(src);
  return sp;
}

}  // namespace

}  // namespace libos

extern "C" [[noreturn]] void libos_main(const shoal::abi::BootInfo* boot) {
  using namespace libos;
  set_boot_info(boot);
  if (boot->magic != shoal::abi::kBootInfoMagic) panic("bad BootInfo magic");
  if (boot->abi_version != shoal::abi::kAbiVersion) panic("BootInfo ABI version mismatch");
  if (boot->stack_size > boot->stack_top || boot->stack_top > boot->memory_size ||
      boot->image_end >= boot->stack_top - boot->stack_size - shoal::abi::kStackGuardSize) {
    panic("BootInfo memory layout is inconsistent");
  }
  clock_init(shoal_boot_tsc, boot->tsc_khz, boot->realtime_ns);
  for (auto** fn = __init_array_start; fn != __init_array_end; ++fn) (*fn)();

  mm::init(boot->image_end, boot->stack_top - boot->stack_size - shoal::abi::kStackGuardSize);
  random_init(boot->random, shoal_boot_tsc);
  sched::init(*boot);
  ipc::init();
  fs_init(*boot);
  // The network after the mounts (it may add /etc files), before the
  // console descriptors, as it always started; it registers its idle hooks
  // with the scheduler (sched/io_hooks.hpp).
  net::net_init(*boot);
  fs_open_stdio();

  // A dynamically linked program starts in its interpreter (PT_INTERP),
  // mapped from the root filesystem now that the files are up.
  Interp interp = load_interpreter(boot->app_phdr, boot->app_phent, boot->app_phnum);
  uint64_t user_rsp = build_boot_stack(*boot, interp.base);
  shoal_app_entry_tsc = __builtin_ia32_rdtsc();
  shoal_enter_app(interp.entry != 0 ? interp.entry : boot->app_entry, user_rsp);
}
