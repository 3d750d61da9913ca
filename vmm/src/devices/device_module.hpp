// A device of the monitor: one folder under devices/ (console/, channel/,
// net/, ...) implementing this one interface, in the manner of Solo5's hvt
// modules (tenders/hvt/hvt.h, struct hvt_module_ops). The core knows only the
// interface: main.cpp lists the modules (devices()) and calls each
// step on every module in list order; page_tables.cpp maps the regions they
// return; boot_info.cpp lets them fill their BootInfo fields; seccomp_policy.cpp
// adds the rules they contribute; monitor.cpp still handles every VM exit (a
// device's kick is an ioeventfd, handled inside KVM: no exit reaches it).
//
// The steps, in the order main.cpp runs them (docs/architecture.md, "The
// monitor and its devices"):
//   add_options()       the device's command-line options (options.cpp parses)
//   finish_options()    checks and converts them: a message is a usage error
//   inherited_fds()     descriptors the command line names, kept at start
//   check_image()       only the devices the image declares exist
//   open()              privileged opens (TAP, inherited descriptors), before
//                       any KVM work, so a bad device is a clear error first
//   regions()           memory outside guest memory, mapped by the page tables
//   kick_ports()        ports opened to ring 3 in the TSS I/O bitmap
//   attach()            KVM memory slots and ioeventfds for the kick ports
//   fill_boot_info()    the device's BootInfo fields (abi/boot.h)
//   --- the monitor enters its jail (jail.hpp): no privileged call after ---
//   start()             threads; they inherit the jail, and the seccomp filter
//                       (installed with TSYNC right after) covers them
//   seccomp_rules()     the calls the device needs once the guest runs, each
//                       with its reason
//   stop()              after the guest is gone: join threads, summarise
#pragma once

#include <stdint.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <shoal/base/result.hpp>

#include "boot_info.hpp"
#include "kvm.hpp"
#include "page_tables.hpp"
#include "seccomp_policy.hpp"

namespace CLI {
class App;  // CLI11, included by options.cpp and the modules' .cpp files
}

namespace shoal::vmm {

// What the modules share while the monitor is set up.
struct DeviceSetup {
  // The eventfd the `block` hypercall polls (block_wait.hpp): the first
  // module in the list that has an event source sets it (the channel's
  // TO_GUEST_FD); a later one that needs one reuses it, or creates its own
  // and sets it (the network device without a channel). -1: none, and a
  // `block` without a deadline is a deadlock.
  int wake_fd = -1;
};

class DeviceModule {
 public:
  virtual ~DeviceModule() = default;

  // For messages: "console", "channel", "net".
  virtual const char* name() const = 0;

  // Adds the device's options to the monitor's parser.
  virtual void add_options(CLI::App& app) { (void)app; }

  // After parsing: checks what add_options collected. A message (without
  // the "shoal-vmm: " prefix) makes the monitor exit with status 2.
  virtual std::optional<std::string> finish_options() { return std::nullopt; }

  // Descriptors the command line handed to the device: everything else the
  // monitor inherited is closed at start (close_inherited_fds).
  virtual std::vector<int> inherited_fds() const { return {}; }

  // A message when the command line asks for a device the image does not
  // declare (the monitor then exits with status 2, as for a usage error).
  virtual std::optional<std::string> check_image(uint32_t image_devices, const std::string& image_path) const {
    (void)image_devices;
    (void)image_path;
    return std::nullopt;
  }

  // Opens what needs privileges (files, devices, inherited descriptors).
  virtual Result<void> open(DeviceSetup& setup) {
    (void)setup;
    return {};
  }

  // Ports the guest kicks the device through with a 4-byte `outl`, opened to
  // ring 3 in the TSS I/O bitmap (descriptors.cpp). Listed whether or not the
  // device is configured: a kick without the device exits to the monitor,
  // which reports "not a hypercall".
  virtual std::vector<uint16_t> kick_ports() const { return {}; }

  // Regions outside guest memory the page tables map (user RW, never exec).
  virtual std::vector<DeviceRegion> regions() const { return {}; }

  // Memory slots and ioeventfds. Returns the --verbose line describing the
  // device (empty: none).
  virtual Result<std::string> attach(Vm& vm) {
    (void)vm;
    return std::string();
  }

  virtual void fill_boot_info(abi::BootInfo& info) const { (void)info; }

  // After the jail, before seccomp.
  virtual Result<void> start() { return {}; }

  // block_wake_fd: DeviceSetup::wake_fd, whose own rules the core adds.
  virtual std::vector<SeccompRule> seccomp_rules(int block_wake_fd) const {
    (void)block_wake_fd;
    return {};
  }

  // After the guest is gone. Returns the --verbose summary (empty: none).
  virtual std::string stop() { return {}; }
};

using DeviceList = std::vector<std::unique_ptr<DeviceModule>>;

}  // namespace shoal::vmm
