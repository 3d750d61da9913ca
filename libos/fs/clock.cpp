#include "fs/clock.hpp"

#include "core/klib.hpp"

namespace libos {
// Provided by the core: time/clock.hpp and core/random.hpp. Declared weak
// here so this component does not depend on their link order or existence.
[[gnu::weak]] uint64_t realtime_ns();
[[gnu::weak]] void random_bytes(void* buf, size_t len);
}  // namespace libos

namespace libos::fs {

int64_t now_ns() {
  if (&libos::realtime_ns == nullptr) return 0;
  return static_cast<int64_t>(libos::realtime_ns());
}

void fill_random(void* buf, size_t len) {
  if (&libos::random_bytes != nullptr) {
    libos::random_bytes(buf, len);
    return;
  }
  // Not random: only until the core provides random_bytes.
  static uint64_t state = 0x9e3779b97f4a7c15ull;
  auto* out = static_cast<uint8_t*>(buf);
  for (size_t i = 0; i < len; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    out[i] = static_cast<uint8_t>(state);
  }
}

}  // namespace libos::fs
