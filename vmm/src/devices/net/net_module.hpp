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

class NetModule final : public DeviceModule {
 public:
  const char* name() const override { return "net"; }
  void add_options(CLI::App& app) override;
  std::optional<std::string> finish_options() override;
  std::optional<std::string> check_image(uint32_t image_devices, const std::string& image_path) const override;
  Result<void> open(DeviceSetup& setup) override;
  std::vector<uint16_t> kick_ports() const override;
  std::vector<DeviceRegion> regions() const override;
  Result<std::string> attach(Vm& vm) override;
  void use_guest_memory(const GuestMemory& mem) override;
  void fill_boot_info(abi::BootInfo& info) const override;
  Result<void> start() override;
  std::vector<SeccompRule> seccomp_rules(int block_wake_fd) const override;
  std::vector<SeccompCase> seccomp_cases() const override;
  std::string stop() override;

  // --net and its company, once parsed; empty: no device, and the module
  // does nothing.
  const std::optional<NetConfig>& config() const { return m_config; }

 private:
  NetOptionText m_text;
  std::optional<NetConfig> m_config;
  std::unique_ptr<NetDevice> m_device;
};

std::unique_ptr<NetModule> make_net_module();

}  // namespace shoal::vmm
