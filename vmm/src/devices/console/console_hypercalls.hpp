// The console's hypercalls (abi/hypercall.h): console_write to the
// instance's stdout or stderr, console_read from its stdin. The console
// module contributes them (DeviceModule::hypercalls()); main.cpp installs
// them into the hypercall table with every other device's.
#pragma once

#include <stdint.h>

#include <vector>

#include "hypercalls.hpp"

namespace shoal::vmm {

// At most this many bytes per console_read or console_write (-EINVAL above).
inline constexpr uint64_t kMaxConsoleTransfer = 1 << 20;

std::vector<HypercallRoute> console_hypercalls();

}  // namespace shoal::vmm
