// The console: the instance's stdin, stdout and stderr (descriptors 0-2,
// inherited from the launcher). The guest reaches it through the
// console_read and console_write hypercalls (abi/hypercall.h), which this
// module serves (console_hypercalls.cpp), and it contributes their seccomp
// rules.
#pragma once

#include <memory>
#include <vector>

#include "devices/device_module.hpp"

namespace shoal::vmm {

// read(0), write(1), write(2), each with its reason.
std::vector<SeccompRule> console_seccomp_rules();

std::unique_ptr<DeviceModule> make_console_module();

}  // namespace shoal::vmm
