// The subcommands of `shoal`. Each returns the process exit status: 0 on
// success, 2 for usage and build errors (bad program, bad image, bad option).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace shoal::cli {

inline constexpr int kExitUsage = 2;

struct BuildCommand {
  std::string program;
  std::string output;
  std::string root;
  std::vector<std::string> writable;
  std::string name;
  std::string memory;
  bool no_rewrite = false;
  std::string libos;
  bool net = false;  // declare the network device (abi::kDeviceNet)
  bool allow_wx = false;  // writable+executable segments allowed (abi::kImageAllowWriteExec)
  std::vector<std::string> include;  // host directories packed at their own paths
  std::vector<std::string> add;      // further programs packed at their paths, for execve
  bool busybox_links = false;        // a packed busybox's applets as symlinks to it
};
int run_build(const BuildCommand& c);

struct RunCommand {
  std::string target;  // image or program
  std::string memory;
  int cpu = -1;
  std::string timeout;
  std::string max_processes;  // passed through to shoal-vmm (fork's bound)
  std::string shm_size;  // --shm-size: the family region (System V IPC, /dev/shm)
  std::string cpu_features;  // passed through to shoal-vmm
  std::vector<std::string> env;
  std::string root;
  std::vector<std::string> writable;
  std::string libos;
  bool no_rewrite = false;
  bool verbose = false;
  bool timing = false;
  // The network device, passed through to shoal-vmm (--net builds a program
  // with the device declared).
  std::string net, ip, gateway, mac, net_impair;
  std::string ip6;
  bool allow_wx = false;  // programs only: build with --allow-wx
  std::vector<std::string> include;  // programs only: host directories packed at their own paths
  std::vector<std::string> add;      // programs only: further programs packed for execve
  bool busybox_links = false;        // programs only: busybox applet symlinks
  std::string user;       // passed to shoal-vmm --user
  bool no_jail = false;   // passed to shoal-vmm --no-jail
  std::vector<std::string> args;
};
int run_run(const RunCommand& c);

int run_inspect(const std::string& image);

// shoal snapshot IMAGE -o FILE.snap: boots IMAGE and saves it at its ready point.
struct SnapshotCommand {
  std::string image;
  std::string output;
  std::string ready;         // listen | port:N (shoal-vmm --ready)
  std::string memory, timeout, cpu_features, user;
  std::vector<std::string> env;
  bool verbose = false, no_jail = false;
  std::vector<std::string> args;
};
int run_snapshot_command(const SnapshotCommand& c);
// `shoal inspect FILE.snap`: the header summary; false (message printed) for a bad file.
bool print_snapshot_summary(const std::string& path);

// shoal-vmm next to this binary (or $SHOAL_VMM).
std::string vmm_path();

// Prints "shoal: <message>" to stderr and returns kExitUsage.
int fail(const std::string& message);

}  // namespace shoal::cli
