// The console: the instance's stdin, stdout and stderr (descriptors 0-2,
// inherited from the launcher). The guest reaches it through the
// console_read and console_write hypercalls, which stay in the one hypercall
// table (hypercalls.cpp, generated from abi/hypercall.h) like every other;
// this module contributes what the console needs besides: its seccomp rules.
#pragma once

#include <memory>
#include <vector>

#include "devices/device_module.hpp"

namespace shoal::vmm {

// read(0), write(1), write(2), each with its reason.
std::vector<SeccompRule> console_seccomp_rules();

std::unique_ptr<DeviceModule> make_console_module();

}  // namespace shoal::vmm
