// User-pointer checks (see uaccess.hpp: not a security boundary, EFAULT
// parity with Linux). Guest memory is identity-mapped in one piece except
// the null page / monitor area below BootInfo and the main stack's guard.
#include "core/uaccess.hpp"

#include <shoal/abi/layout.h>

#include "core/errno.hpp"
#include "core/family.hpp"
#include "core/identity_map.hpp"
#include "core/boot_flags.hpp"
#include "core/window.hpp"

namespace libos {

namespace {
bool in_range(uint64_t p, uint64_t len, uint64_t lo) {
  // The reservation window: only what the LibOS committed there is memory,
  // with the rights its pages were given.
  if (window::contains(p, len)) return window::accessible(p, len, lo == shoal::abi::kLibosLimit);
  // The family region (shared memory segments, /dev/shm mappings): all of it
  // read-write once attached (core/family.hpp).
  if (family::contains(p, len)) return true;
  const auto& boot = boot_info();
  if (p < lo || p + len < p || p + len > boot.memory_size) return false;
  uint64_t guard_hi = boot.stack_top - boot.stack_size;
  uint64_t guard_lo = guard_hi - shoal::abi::kStackGuardSize;
  if (!(p + len <= guard_lo || p >= guard_hi)) return false;
  // Heap pages the program protected (mm/heap_protect.hpp) say for themselves.
  return identity::accessible(p, len, lo == shoal::abi::kLibosLimit);
}
}  // namespace

bool user_readable(const void* ptr, size_t len) {
  return in_range(reinterpret_cast<uint64_t>(ptr), len, shoal::abi::kBootInfoAddr);
}

bool user_writable(const void* ptr, size_t len) {
  // BootInfo and the argument strings are read-only; the LibOS is not the
  // program's to write. Inside the image, page protections still apply.
  return in_range(reinterpret_cast<uint64_t>(ptr), len, shoal::abi::kLibosLimit);
}

long user_strnlen(const char* ptr, size_t max) {
  auto p = reinterpret_cast<uint64_t>(ptr);
  if (!user_readable(ptr, 1)) return -EFAULT;
  for (size_t i = 0; i < max; ++i) {
    // Re-check at each page boundary only.
    if (((p + i) & 0xfff) == 0 && !user_readable(reinterpret_cast<const void*>(p + i), 1)) {
      return -EFAULT;
    }
    if (ptr[i] == '\0') return static_cast<long>(i);
  }
  return -ENAMETOOLONG;
}

}  // namespace libos
