// The composition root: from shoal_libos_start (arch/x86_64/start.S) to the
// program's entry point. The only file that knows every subsystem: it starts
// them bottom-up (time, memory, entropy, threads, files, network), maps a
// dynamic program's interpreter (boot/interp.hpp), then builds the initial
// stack a Linux binary expects and enters the program (or its interpreter).
#include <shoal/abi/boot.h>
#include <shoal/abi/layout.h>

#include "boot/interp.hpp"
#include "core/boot_flags.hpp"
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
#include "uapi/auxvec.hpp"

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

using namespace uapi::auxv;

// Copies s (with its NUL) below *sp and returns its new address.
uint64_t push_string(uint64_t* sp, const char* s, size_t len) {
  *sp -= len + 1;
  memcpy(reinterpret_cast<void*>(*sp), s, len + 1);
  return *sp;
}

// Builds argc, argv, envp, auxv and the strings at the top of the main stack
// exactly as Linux does; returns the entry rsp. interp_base: AT_BASE, where a
// dynamic program's interpreter is mapped (0 for a static program).
uint64_t build_user_stack(const shoal::abi::BootInfo& boot, uint64_t interp_base) {
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

  uint64_t sp = boot.stack_top;
  // Strings: the exe path (AT_EXECFN) first, so it is highest, as on Linux.
  uint64_t execfn = push_string(&sp, src[argc + envc], lens[argc + envc]);
  uint64_t* addrs = static_cast<uint64_t*>(kmalloc((argc + envc) * sizeof(uint64_t) + 8));
  LIBOS_ASSERT(addrs != nullptr);
  for (uint32_t i = argc + envc; i-- > 0;) addrs[i] = push_string(&sp, src[i], lens[i]);
  uint64_t platform = push_string(&sp, "x86_64", 6);
  sp &= ~uint64_t{15};
  sp -= 16;
  uint64_t random = sp;
  memcpy(reinterpret_cast<void*>(random), boot.random, 16);

  const uint64_t auxv[][2] = {
      {AT_PHDR, boot.app_phdr},   {AT_PHENT, boot.app_phent}, {AT_PHNUM, boot.app_phnum},
      {AT_PAGESZ, 4096},          {AT_BASE, interp_base},     {AT_FLAGS, 0},
      {AT_ENTRY, boot.app_entry}, {AT_UID, 0},                {AT_EUID, 0},
      {AT_GID, 0},                {AT_EGID, 0},               {AT_SECURE, 0},
      {AT_RANDOM, random},        {AT_HWCAP, boot.hwcap},     {AT_HWCAP2, boot.hwcap2},
      {AT_CLKTCK, 100},           {AT_PLATFORM, platform},    {AT_EXECFN, execfn},
      {AT_MINSIGSTKSZ, signal_frame_bytes()},                 {AT_NULL, 0},
  };
  constexpr size_t kAuxWords = sizeof(auxv) / sizeof(uint64_t);
  size_t words = 1 + (argc + 1) + (envc + 1) + kAuxWords;
  sp -= words * 8;
  sp &= ~uint64_t{15};  // rsp is 16-byte aligned at entry

  auto* out = reinterpret_cast<uint64_t*>(sp);
  size_t w = 0;
  out[w++] = argc;
  for (uint32_t i = 0; i < argc; ++i) out[w++] = addrs[i];
  out[w++] = 0;
  for (uint32_t i = 0; i < envc; ++i) out[w++] = addrs[argc + i];
  out[w++] = 0;
  memcpy(&out[w], auxv, sizeof(auxv));

  kfree(addrs);
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
  uint64_t user_rsp = build_user_stack(*boot, interp.base);
  shoal_app_entry_tsc = __builtin_ia32_rdtsc();
  shoal_enter_app(interp.entry != 0 ? interp.entry : boot->app_entry, user_rsp);
}
