// shoal-vmm's command line.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include <shoal/base/result.hpp>

#include "cpu_features.hpp"
#include "devices/net/net_options.hpp"

namespace shoal::vmm {

// --channel MEMFD,TO_HOST_FD,TO_GUEST_FD: descriptors inherited from shoald
// (abi/channel.h). All three are set, or none.
struct ChannelFds {
  int memfd = -1;     // the region (a sealed memfd)
  int to_host = -1;   // eventfd the guest's kick signals (KVM ioeventfd)
  int to_guest = -1;  // eventfd shoald writes to wake a blocked guest
  bool operator==(const ChannelFds&) const = default;
};

// "3,4,5" -> ChannelFds. Three distinct decimal descriptors, none of them
// stdin/stdout/stderr (the console uses those).
Result<ChannelFds> parse_channel_fds(const std::string& text);

struct Options {
  std::optional<uint64_t> memory;  // --memory; else the image's default, else 128 MiB
  std::optional<int> cpu;          // --cpu N: pin to host CPU N
  CpuFeatures cpu_features = CpuFeatures::host;  // --cpu-features (cpu_features.hpp)
  double timeout_s = 0;            // --timeout SEC (fractional); 0 = none
  std::vector<std::string> env;    // --env K=V, the guest's whole environment
  bool verbose = false;
  bool timing = false;
  std::optional<ChannelFds> channel;  // --channel
  std::optional<NetConfig> net;       // --net tap:NAME --ip ... (net_options.hpp)
  std::string image;
  std::string exe_path;  // what the guest sees as /proc/self/exe; empty: the image's absolute path
  std::vector<std::string> args;   // after IMAGE (and after --)
  // Confinement (jail.hpp): --user USER[:GROUP] is who a root-started monitor
  // becomes (empty: nobody); --no-jail keeps the launcher's identity,
  // namespaces and capabilities (debugging only; seccomp stays).
  std::string user;
  bool no_jail = false;

  // Descriptors the monitor was handed on the command line: everything else
  // it inherited is closed at start (close_inherited_fds).
  std::vector<int> inherited_fds() const;
};

// "128M", "1G", "65536", "512K" → bytes. Rejects junk, zero and overflow.
Result<uint64_t> parse_size(const std::string& text);

// Parses argv. On --help, or a usage error, prints and sets exit_status.
struct ParsedOptions {
  Options options;
  std::optional<int> exit_status;
};
ParsedOptions parse_options(int argc, char** argv);

}  // namespace shoal::vmm
