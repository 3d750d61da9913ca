// The monitor's seccomp allowlist (docs/security.md). Applied after set-up and
// before the first KVM_RUN; anything else kills the process (SIGSYS).
#pragma once

#include <seccomp.h>

#include <string>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::vmm {

// One allowlist entry: the system call, the argument comparisons that narrow
// it (all must hold), and why the monitor needs it.
struct SeccompRule {
  int syscall;
  std::vector<scmp_arg_cmp> args;
  const char* reason;
};

// "write(fd == 1): console_write to stdout": one line per rule, for tests and
// reviews of the assembled list.
std::string describe_seccomp_rule(const SeccompRule& rule);

// Descriptors of the snapshot paths (-1: not used). out_fd/pagemap_fd: the
// save at `ready` (--snapshot-out); start_fd: --start-on-fd.
struct SeccompSnapshotFds {
  int out_fd = -1;
  int pagemap_fd = -1;
  int start_fd = -1;
  // fork (the `process` hypercall, fork_vm.hpp): the /dev/kvm and VM
  // descriptors the child makes its VM again from; -1: this instance
  // cannot fork (no rule is added).
  int fork_kvm_fd = -1;
  int fork_vm_fd = -1;
};

// status_fd >= 0: an open /proc/self/status that --timing may pread at exit.
// vcpu_fd >= 0: the KVM ioctls are allowed on that file descriptor only.
// wake_fd >= 0: the channel's TO_GUEST_FD, which `block` polls (ppoll) and
// drains (read on that descriptor only).
// device_rules: what the device modules need (DeviceModule::seccomp_rules:
// the console's descriptors, the network I/O thread's TAP and eventfds, ...),
// each pinned to its descriptor and with its reason.
// The filter is installed on every thread of the process (TSYNC), so a thread
// started before it (the I/O thread) is confined too.
Result<void> apply_seccomp_policy(int status_fd = -1, int vcpu_fd = -1, int wake_fd = -1,
                                  const std::vector<SeccompRule>& device_rules = {},
                                  const SeccompSnapshotFds& snapshot = {});

// The list apply_seccomp_policy installs, for the same arguments. Pure.
std::vector<SeccompRule> assemble_seccomp_rules(int status_fd, int vcpu_fd, int wake_fd,
                                               const std::vector<SeccompRule>& device_rules,
                                               const SeccompSnapshotFds& snapshot = {});

// Installs exactly `rules` (every thread, TSYNC); anything else kills.
Result<void> apply_seccomp_rules(const std::vector<SeccompRule>& rules);

}  // namespace shoal::vmm
