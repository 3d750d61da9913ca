#include "core/family.hpp"

#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>

#include "core/boot_flags.hpp"
#include "core/hypercall.hpp"

namespace libos::family {

namespace {
// 0: not tried, 1: attached, -1: none. Process memory, so a forked child
// inherits "attached" with the region the fork keeps (its monitor re-installs
// the slot before the child runs).
constinit int g_state = 0;
constinit shoal::abi::HcFamily g_args{};  // below 4 GiB, as hypercall arguments must be
}  // namespace

uint64_t size() { return boot_info().family_size; }

uint8_t* attach() {
  if (g_state == 0) {
    g_state = -1;
    uint64_t n = size();
    if (n != 0 && n <= shoal::abi::kMaxFamilySize) {
      g_args.result = -1;
      hypercall(shoal::abi::Hypercall::family, &g_args);
      if (g_args.result == 0) g_state = 1;
    }
  }
  return g_state == 1 ? reinterpret_cast<uint8_t*>(shoal::abi::kFamilyAddr) : nullptr;
}

bool contains(uint64_t p, uint64_t len) {
  if (g_state != 1) return false;
  uint64_t base = shoal::abi::kFamilyAddr;
  return p >= base && len <= size() && p - base <= size() - len;
}

}  // namespace libos::family
