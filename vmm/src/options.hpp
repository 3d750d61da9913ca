// shoal-vmm's command line.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include <shoal/base/result.hpp>

#include "cpu_features.hpp"
#include "devices/device_module.hpp"

namespace shoal::vmm {

struct Options {
  std::optional<uint64_t> memory;  // --memory; else the image's default, else 128 MiB
  std::optional<int> cpu;          // --cpu N: pin to host CPU N
  CpuFeatures cpu_features = CpuFeatures::host;  // --cpu-features (cpu_features.hpp)
  double timeout_s = 0;            // --timeout SEC (fractional); 0 = none
  std::vector<std::string> env;    // --env K=V / K, applied to the default environment (guest_env.hpp)
  bool verbose = false;
  bool timing = false;
  // --huge-pages auto|never: whether the advise hypercall may back large guest
  // mappings with host huge pages (faster first touch, 2 MiB per touched 2 MiB).
  bool huge_pages = true;
  // --ksm: guest memory may be merged by the host's KSM with identical pages
  // of other instances (MADV_MERGEABLE; needs /sys/kernel/mm/ksm/run = 1).
  bool ksm = false;
  std::string image;
  std::string exe_path;  // what the guest sees as /proc/self/exe; empty: the image's absolute path
  std::vector<std::string> args;   // after IMAGE (and after --)
  // Confinement (jail.hpp): --user USER[:GROUP] is who a root-started monitor
  // becomes (empty: nobody); --no-jail keeps the launcher's identity,
  // namespaces and capabilities (debugging only; seccomp stays).
  std::string user;
  bool no_jail = false;
  // Snapshots (docs/architecture.md, "Snapshots"). --snapshot-out FILE: boot
  // with kBootSnapshot and save FILE at the guest's ready point; --ready
  // listen|port:N (BootInfo::snapshot_port, 0 = listen); --snapshot-then
  // exit|run: what the saving instance does after the save.
  std::string snapshot_out;
  uint32_t ready_port = 0;
  bool snapshot_then_exit = true;
  // --start-on-fd N (resuming a snapshot): everything set up, wait until fd N
  // is readable or closed, then run (a warm monitor). -1: none.
  int start_on_fd = -1;
  // --max-processes N: the processes a family may hold at once (the first
  // included; zombies count until reaped); a fork past it gets EAGAIN.
  uint32_t max_processes = 64;
  // --zygote-fd N (with a snapshot): be a template monitor (zygote.hpp):
  // prepare the snapshot once, then fork one monitor per request read from
  // the SOCK_SEQPACKET socket N. -1: none.
  int zygote_fd = -1;
  // Which options were given (a snapshot fixes them: usage error).
  bool cpu_features_given = false;
};

// "128M", "1G", "65536", "512K" → bytes. Rejects junk, zero and overflow.
Result<uint64_t> parse_size(const std::string& text);

// Parses argv: the core's options and each device module's (add_options,
// finish_options), which keep what they parse. On --help, or a usage error,
// prints and sets exit_status.
struct ParsedOptions {
  Options options;
  DeviceList devices;
  std::optional<int> exit_status;

  // Descriptors the monitor was handed on the command line (the devices'):
  // everything else it inherited is closed at start (close_inherited_fds).
  std::vector<int> inherited_fds() const;
};
ParsedOptions parse_options(int argc, char** argv, DeviceList devices);

}  // namespace shoal::vmm
