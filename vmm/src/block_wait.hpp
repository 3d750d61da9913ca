// The `block` hypercall's wait on an event source: the eventfd a device
// (the channel's TO_GUEST_FD, or the network device's own) is woken through.
// Part of the core, because `block` is: devices only provide the descriptor
// (devices/device_module.hpp, DeviceSetup::wake_fd).
#pragma once

#include <stdint.h>

#include <functional>

namespace shoal::vmm {

// The `block` hypercall's wait when an event source exists: until timeout_ns has
// passed (UINT64_MAX: no deadline) or wake_fd becomes readable (then drained,
// so the next wait blocks again). Returns false if a signal interrupted it
// and timed_out() says --timeout expired.
bool wait_for_wake(int wake_fd, uint64_t timeout_ns, const std::function<bool()>& timed_out);

}  // namespace shoal::vmm
