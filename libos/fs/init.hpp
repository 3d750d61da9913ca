// Start-up of the file component: console fds 0-2, the root filesystem from
// the image, /tmp, /dev and /proc/self.
#pragma once

#include <shoal/abi/boot.h>

namespace libos {

// Called once by the start-up code, before the program runs. Panics (with a
// message) if the image's root filesystem section is malformed.
void fs_init(const shoal::abi::BootInfo& boot);

}  // namespace libos
