// BootInfo and the argument strings (abi/boot.h), written into guest memory.
#pragma once

#include <stdint.h>

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
  uint64_t channel_addr = 0, channel_size = 0;  // 0: no channel
  // The network device (abi/netdev.h): net_addr 0 when there is none.
  // Addresses in network byte order.
  uint64_t net_addr = 0, net_size = 0;
  uint8_t net_mac[6] = {};
  uint16_t net_mtu = 0;
  uint32_t net_ipv4 = 0, net_gateway = 0;
  uint8_t net_prefix = 0;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string exe_path;
  uint64_t hwcap = 0, hwcap2 = 0;
  uint64_t xcr0 = 0, xsave_components = 0;  // cpu_setup.hpp CpuConfig
  uint32_t xsave_size = 0, cpu_flags = 0;
  uint8_t random[16] = {};
  uint32_t flags = 0;
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
