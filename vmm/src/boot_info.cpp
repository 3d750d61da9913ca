#include "boot_info.hpp"

#include <cpuid.h>
#include <stddef.h>

#include <shoal/abi/layout.h>

namespace shoal::vmm {

using namespace shoal::abi;

Result<BootInfo> write_boot_info(const GuestMemory& mem, const BootParams& p) {
  uint64_t total = 0;
  auto add = [&](const std::string& s) { total += s.size() + 1; };
  for (const auto& s : p.argv) add(s);
  for (const auto& s : p.env) add(s);
  add(p.exe_path);
  uint64_t room = kArgsEnd - kArgsAddr;
  if (total > room) {
    return make_error("the arguments and environment take " + std::to_string(total) + " bytes; at most " +
                      std::to_string(room) + " fit in the guest's argument area");
  }
  auto area = TRY(mem.span(kArgsAddr, total));
  uint64_t at = 0;
  auto put = [&](const std::string& s) {
    // SAFETY: area holds `total` bytes, the sum of every string plus its NUL.
    memcpy(area.data() + at, s.data(), s.size());
    area[at + s.size()] = 0;
    at += s.size() + 1;
  };
  for (const auto& s : p.argv) put(s);
  for (const auto& s : p.env) put(s);
  put(p.exe_path);

  BootInfo info{};
  info.magic = kBootInfoMagic;
  info.abi_version = kAbiVersion;
  info.flags = p.flags;
  info.memory_size = p.memory_size;
  info.tsc_khz = p.tsc_khz;
  info.image_end = p.image_end;
  info.stack_top = p.memory_size;
  info.stack_size = kMainStackSize;
  info.app_entry = p.app_entry;
  info.app_phdr = p.app_phdr;
  info.app_phent = p.app_phent;
  info.app_phnum = p.app_phnum;
  info.rootfs_addr = p.rootfs_addr;
  info.rootfs_size = p.rootfs_size;
  info.args_addr = kArgsAddr;
  info.args_size = total;
  info.argc = static_cast<uint32_t>(p.argv.size());
  info.envc = static_cast<uint32_t>(p.env.size());
  info.hwcap = p.hwcap;
  info.hwcap2 = p.hwcap2;
  info.xcr0 = p.xcr0;
  info.xsave_components = p.xsave_components;
  info.xsave_size = p.xsave_size;
  info.cpu_flags = p.cpu_flags;
  info.host_signals_ignored = p.host_signals_ignored;
  info.snapshot_port = p.snapshot_port;
  memcpy(info.random, p.random, sizeof info.random);
  if (p.fill_devices) p.fill_devices(info);
  TRY(mem.write(kBootInfoAddr, info));
  return info;
}

Result<void> set_boot_realtime(const GuestMemory& mem, uint64_t realtime_ns) {
  return mem.write<uint64_t>(kBootInfoAddr + offsetof(BootInfo, realtime_ns), realtime_ns);
}

uint64_t host_hwcap() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  return d;
}

uint64_t host_hwcap2() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & 1) ? (1ull << 1) : 0;  // HWCAP2_FSGSBASE; the monitor sets CR4.FSGSBASE
}

}  // namespace shoal::vmm
