// The network device (`--net tap:NAME --ip ...`, abi/netdev.h): its region at
// kNetAddr, the kick port's ioeventfd, the TAP device and the I/O thread.
// NetDevice (net_device.hpp) does the work; this module plugs it into the
// monitor's set-up.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/device_module.hpp"
#include "devices/net/net_device.hpp"
#include "devices/net/net_options.hpp"

namespace shoal::vmm {

// The I/O thread's calls, each pinned to its descriptor, and the main
// thread's stop write. block_wake_fd < 0 (no event source of the core's)
// adds ppoll for the thread's own wait.
std::vector<SeccompRule> net_seccomp_rules(const NetSeccompFds& fds, int block_wake_fd);

// No device when config is empty. image_path words the error for an image
// that does not declare the device.
std::unique_ptr<DeviceModule> make_net_module(const std::optional<NetConfig>& config, const std::string& image_path);

}  // namespace shoal::vmm
