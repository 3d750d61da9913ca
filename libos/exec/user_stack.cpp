// The initial stack (exec/user_stack.hpp).
#include "exec/user_stack.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "core/panic.hpp"
#include "sched/signal_state.hpp"
#include "uapi/auxvec.hpp"

namespace libos::exec {

namespace {

using namespace uapi::auxv;

constexpr size_t kAuxPairs = 20;

// Copies s (with its NUL) below *sp and returns its new address.
uint64_t push_string(uint64_t* sp, const char* s, size_t len) {
  *sp -= len + 1;
  memcpy(reinterpret_cast<void*>(*sp), s, len);
  reinterpret_cast<char*>(*sp)[len] = '\0';
  return *sp;
}

}  // namespace

uint64_t user_stack_bytes(uint64_t string_bytes, uint64_t count) {
  // strings, "x86_64", AT_RANDOM, alignment, argc, the pointers and NULLs, auxv.
  return string_bytes + 7 + 16 + 32 + 8 + (count + 2) * 8 + kAuxPairs * 16;
}

uint64_t build_user_stack(uint64_t stack_top, const StackImage& img) {
  const uint32_t argc = img.argc, envc = img.envc;
  uint64_t sp = stack_top;
  // Strings: the exe path (AT_EXECFN) first, so it is highest, as on Linux.
  uint64_t execfn = push_string(&sp, img.execfn, img.execfn_len);
  auto* addrs = static_cast<uint64_t*>(kmalloc((argc + envc) * sizeof(uint64_t) + 8));
  LIBOS_ASSERT(addrs != nullptr);
  for (uint32_t i = argc + envc; i-- > 0;) addrs[i] = push_string(&sp, img.strings[i], img.lengths[i]);
  uint64_t platform = push_string(&sp, "x86_64", 6);
  sp &= ~uint64_t{15};
  sp -= 16;
  uint64_t random = sp;
  memcpy(reinterpret_cast<void*>(random), img.random, 16);

  const uint64_t auxv[][2] = {
      {AT_PHDR, img.phdr},      {AT_PHENT, img.phent},       {AT_PHNUM, img.phnum},
      {AT_PAGESZ, 4096},        {AT_BASE, img.interp_base},  {AT_FLAGS, 0},
      {AT_ENTRY, img.entry},    {AT_UID, 0},                 {AT_EUID, 0},
      {AT_GID, 0},              {AT_EGID, 0},                {AT_SECURE, 0},
      {AT_RANDOM, random},      {AT_HWCAP, img.hwcap},       {AT_HWCAP2, img.hwcap2},
      {AT_CLKTCK, 100},         {AT_PLATFORM, platform},     {AT_EXECFN, execfn},
      {AT_MINSIGSTKSZ, signal_frame_bytes()},                {AT_NULL, 0},
  };
  static_assert(sizeof(auxv) / 16 == kAuxPairs);
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
  return sp;
}

}  // namespace libos::exec
