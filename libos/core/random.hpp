// Entropy: a ChaCha20 keystream keyed from BootInfo.random (the host's
// getrandom) mixed with the boot TSC. Never blocks.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos {

void random_init(const uint8_t seed[16], uint64_t tsc);
void random_bytes(void* buf, size_t len);
// A resumed snapshot (hypercall.h `ready`): every instance of one snapshot
// holds the same generator state, so it is re-keyed from the 32 fresh bytes
// the monitor wrote (BootInfo::resume_random) and this VM's TSC before
// anything draws from it again.
void random_rekey(const uint8_t seed[32], uint64_t tsc);

}  // namespace libos
