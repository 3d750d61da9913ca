// Entropy: a ChaCha20 keystream keyed from BootInfo.random (the host's
// getrandom) mixed with the boot TSC. Never blocks.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos {

void random_init(const uint8_t seed[16], uint64_t tsc);
void random_bytes(void* buf, size_t len);

}  // namespace libos
