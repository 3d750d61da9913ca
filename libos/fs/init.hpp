// Start-up of the file component: the root filesystem from the image, /tmp,
// /dev and /proc/self, then the console fds 0-2. The composition root
// (boot/boot.cpp) calls both, other components' start-up in between.
#pragma once

#include <shoal/abi/boot.h>

namespace libos {

// Called once by the start-up code, before the program runs. Panics (with a
// message) if the image's root filesystem section is malformed.
void fs_init(const shoal::abi::BootInfo& boot);
// Opens the console as fds 0, 1 and 2 (after fs_init).
void fs_open_stdio();

}  // namespace libos
