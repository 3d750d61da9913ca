// BootInfo and the argument strings (abi/boot.h), written into guest memory.
#pragma once

#include <stdint.h>

#include <functional>
#include <string>
#include <vector>

#include <shoal/abi/boot.h>
#include <shoal/base/result.hpp>

#include "guest_memory.hpp"

namespace shoal::vmm {

struct BootParams {
  uint64_t memory_size = 0;
  uint64_t tsc_khz = 0;
  uint64_t image_end = 0;
  uint64_t app_entry = 0, app_phdr = 0, app_phent = 0, app_phnum = 0;
  uint64_t rootfs_addr = 0, rootfs_size = 0;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string exe_path;
  uint64_t hwcap = 0, hwcap2 = 0;
  uint64_t xcr0 = 0, xsave_components = 0;  // cpu_setup.hpp CpuConfig
  uint32_t xsave_size = 0, cpu_flags = 0;
  uint8_t random[16] = {};
  uint32_t flags = 0;
  uint32_t host_signals_ignored = 0;  // abi BootInfo::host_signals_ignored
  uint32_t snapshot_port = 0;         // abi BootInfo::snapshot_port (with kBootSnapshot)
  // The devices' fields (DeviceModule::fill_boot_info: channel_addr,
  // net_addr, ...), written after the core's; a device absent leaves its
  // fields 0.
  std::function<void(abi::BootInfo&)> fill_devices;
};

// Packs argv, env and exe_path as NUL-terminated strings at kArgsAddr and
// writes BootInfo at kBootInfoAddr. Fails with a clear message if the strings
// do not fit in [kArgsAddr, kArgsEnd).
Result<abi::BootInfo> write_boot_info(const GuestMemory& mem, const BootParams& params);

// Sets BootInfo::realtime_ns (sampled just before the first KVM_RUN).
Result<void> set_boot_realtime(const GuestMemory& mem, uint64_t realtime_ns);

// Host CPU features for AT_HWCAP (cpuid 1 edx) and AT_HWCAP2 (bit 1: FSGSBASE).
uint64_t host_hwcap();
uint64_t host_hwcap2();

}  // namespace shoal::vmm
