#include "devices/net/net_module.hpp"

#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <shoal/abi/channel.h>
#include <shoal/abi/image.h>
#include <shoal/abi/layout.h>
#include <shoal/abi/netdev.h>

namespace shoal::vmm {

using namespace shoal::abi;

// The region lives in the same PDPT as guest memory (below 512 GiB), in a
// 1 GiB entry of its own above the channel's.
static_assert(kNetAddr % (1ull << 30) == 0 && kNetAddr >= kChannelAddr + (1ull << 30) && kNetAddr < (1ull << 39));
static_assert(kNetRegionSize <= (1ull << 30));

std::vector<SeccompRule> net_seccomp_rules(const NetSeccompFds& net, int block_wake_fd) {
  auto fd = [](int d) { return static_cast<scmp_datum_t>(d); };
  std::vector<SeccompRule> rules;
  if (block_wake_fd < 0) rules.push_back({SCMP_SYS(ppoll), {}, "network I/O thread: wait for the TAP, a kick or stop"});
  rules.push_back({SCMP_SYS(readv),
                   {SCMP_A0(SCMP_CMP_EQ, fd(net.tap))},
                   "network I/O thread: frames from the TAP (virtio_net_hdr + frame)"});
  rules.push_back({SCMP_SYS(writev),
                   {SCMP_A0(SCMP_CMP_EQ, fd(net.tap))},
                   "network I/O thread: frames to the TAP (virtio_net_hdr + frame)"});
  rules.push_back({SCMP_SYS(read), {SCMP_A0(SCMP_CMP_EQ, fd(net.kick))},
                   "network I/O thread: drain the guest's kick eventfd"});
  rules.push_back({SCMP_SYS(write), {SCMP_A0(SCMP_CMP_EQ, fd(net.wake))},
                   "network I/O thread: wake the guest's block (wake eventfd)"});
  rules.push_back({SCMP_SYS(read), {SCMP_A0(SCMP_CMP_EQ, fd(net.stop))}, "network I/O thread: its stop eventfd"});
  rules.push_back({SCMP_SYS(write), {SCMP_A0(SCMP_CMP_EQ, fd(net.stop))},
                   "main thread: stop the network I/O thread at exit"});
  rules.push_back({SCMP_SYS(rt_sigprocmask), {SCMP_A0(SCMP_CMP_EQ, SIG_BLOCK)},
                   "network I/O thread exit: glibc blocks signals before the thread ends"});
  return rules;
}

void NetModule::add_options(CLI::App& app) {
  app.add_option("--net", m_text.net, "tap:NAME: a network device on TAP device NAME (created, or attached if it exists)");
  app.add_option("--ip", m_text.ip, "with --net: the guest's IPv4 address and subnet, A.B.C.D/N");
  app.add_option("--ip6", m_text.ip6, "with --net: the guest's static IPv6 address and prefix, ADDR/N, or auto (SLAAC from router advertisements, also the default)");
  app.add_option("--gateway", m_text.gateway, "with --net: the default gateway A.B.C.D (inside the subnet)");
  app.add_option("--mac", m_text.mac, "with --net: the guest's MAC (default: random 02:xx:xx:xx:xx:xx)");
  app.add_option("--net-impair", m_text.impair,
                 "test aid: loss=P,delay=MS,reorder=P[,seed=N] on frames to the guest, as netem would "
                 "(P in percent; `reorder` frames skip the delay)");
}

std::optional<std::string> NetModule::finish_options() {
  // The default MAC's randomness (and --net-impair's default seed).
  uint64_t random = 0;
  if (getrandom(&random, sizeof random, 0) != sizeof random) random = static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15ull;
  auto config = make_net_config(m_text, random);
  if (!config) return config.error().message;
  m_config = config.value();
  return std::nullopt;
}

// Only the devices the image declares exist: the builder links the network
// stack only into images that ask for it (`shoal build --net`), so a device
// here would be attack surface that nothing in the guest uses.
std::optional<std::string> NetModule::check_image(uint32_t image_devices, const std::string& image_path) const {
  if (!m_config || (image_devices & kDeviceNet)) return std::nullopt;
  return image_path + " does not declare the network device; build it with `shoal build --net`";
}

Result<void> NetModule::open(DeviceSetup& setup) {
  if (!m_config) return {};
  // The channel's wake eventfd when there is one, else the device's own.
  m_device = TRY(NetDevice::open(*m_config, setup.wake_fd));
  if (setup.wake_fd < 0) setup.wake_fd = m_device->wake_fd();
  return {};
}

std::vector<uint16_t> NetModule::kick_ports() const { return {kNetKickPort}; }

std::vector<DeviceRegion> NetModule::regions() const {
  if (!m_device) return {};
  return {{"network", kNetAddr, m_device->size(), kNetRegionSize, true}};
}

Result<std::string> NetModule::attach(Vm& vm) {
  if (!m_device) return std::string();
  TRY(m_device->attach(vm));
  const NetConfig& c = *m_config;
  return "net: tap " + c.tap + ", " + format_ipv4(c.ipv4) + "/" + std::to_string(c.prefix) + " gateway " +
         (c.gateway ? format_ipv4(c.gateway) : std::string("none")) + ", mac " + format_mac(c.mac) + ", region " +
         describe_bytes(m_device->size()) + " at " + hex(kNetAddr) + ", kick port " + hex(kNetKickPort) +
         (c.impair ? ", impaired (--net-impair)" : "") +
         (c.ipv6_prefix ? ", ipv6 " + format_ipv6(c.ipv6) + "/" + std::to_string(c.ipv6_prefix) : "");
}

void NetModule::use_guest_memory(const GuestMemory& mem) {
  if (m_device) m_device->use_guest_memory(mem);
}

// Addresses in network byte order, as NetConfig holds them.
void NetModule::fill_boot_info(BootInfo& info) const {
  if (!m_device) return;
  info.net_addr = kNetAddr;
  info.net_size = m_device->size();
  memcpy(info.net_mac, m_config->mac.data(), sizeof info.net_mac);
  info.net_mtu = kNetMtu;
  info.net_ipv4 = m_config->ipv4;
  info.net_gateway = m_config->gateway;
  info.net_prefix = m_config->prefix;
}

Result<void> NetModule::start() {
  if (!m_device) return {};
  return m_device->start();
}

std::vector<SeccompRule> NetModule::seccomp_rules(int block_wake_fd) const {
  if (!m_device) return {};
  return net_seccomp_rules(m_device->seccomp_fds(), block_wake_fd);
}

std::vector<DeviceModule::SeccompCase> NetModule::seccomp_cases() const {
  // Without --net the module contributes nothing; with it, the rules depend
  // on whether the core has a `block` wake descriptor (a channel) or not.
  NetSeccompFds fds{20, 21, 22, 23};
  return {
      {"without --net", {}},
      {"TAP 20, kick 21, own wake 22, stop 23; block wake 11 (a channel)", net_seccomp_rules(fds, 11)},
      {"TAP 20, kick 21, own wake 22, stop 23; no block wake (no channel)", net_seccomp_rules(fds, -1)},
  };
}

std::string NetModule::stop() {
  if (!m_device) return {};
  m_device->stop();
  return m_device->describe_counters();
}

std::unique_ptr<NetModule> make_net_module() { return std::make_unique<NetModule>(); }

}  // namespace shoal::vmm
