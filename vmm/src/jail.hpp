// The monitor's confinement beyond seccomp: what shoal-vmm gives up once its
// privileged set-up is done (docs/security.md has the threat model).
//
// Order in main.cpp:
//   1. close_inherited_fds   first thing: only 0-2 and the descriptors named
//                            on the command line (--channel) survive;
//   2. privileged set-up     /dev/kvm, VM and vCPU, image mappings, channel,
//                            TAP (TUNSETIFF, offloads, link up);
//   3. enter_jail            new mount/IPC/UTS namespaces with an empty,
//                            read-only root; an unprivileged uid/gid; no
//                            capabilities (bounding set included); no_new_privs;
//   4. seccomp               (seccomp_policy.cpp), then the vCPU runs.
// enter_jail must run while the process is single-threaded (unshare of the
// mount namespace requires it, and capabilities are per thread): the network
// I/O thread starts after it and inherits everything.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <shoal/base/result.hpp>
#include <span>
#include <string>

namespace shoal::vmm {

// The uid and gid a root-started monitor switches to.
struct JailIdentity {
  uid_t uid = 65534;
  gid_t gid = 65534;
  bool operator==(const JailIdentity&) const = default;
};

// `--user USER[:GROUP]`, each a name or a decimal id. Names are looked up in
// `passwd`/`group` files (the system's /etc/passwd and /etc/group; no NSS, so
// no dynamic loading at every spawn). A numeric user without a group takes the
// user's primary group if the passwd file knows the uid, else the same number.
// An empty spec is the default: the `nobody` user and its group, or
// 65534:65534 where the system has no `nobody`. Root (uid or gid 0) is refused:
// it would keep the monitor privileged.
Result<JailIdentity> resolve_jail_identity(const std::string& spec,
                                           const std::string& passwd_path = "/etc/passwd",
                                           const std::string& group_path = "/etc/group");

// Closes every descriptor >= 3 except those in `keep`: a monitor must not
// hold what its launcher left open by accident (a shell's pipes, a daemon's
// sockets). close_range(2), or /proc/self/fd where the kernel lacks it.
Result<void> close_inherited_fds(std::span<const int> keep);

struct JailConfig {
  bool enabled = true;    // --no-jail: skip everything (debugging only)
  JailIdentity identity;  // used when the monitor runs as root
};

// What enter_jail did, for --verbose.
struct JailReport {
  bool switched_identity = false;  // was root: namespaces, empty root, uid/gid
  bool bounding_set_cleared = false;
};

// Confines the calling, single-threaded process (see the order above). As
// root: unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS), mounts private,
// an empty read-only tmpfs as the root directory (pivot_root), the bounding
// set cleared, supplementary groups dropped, setresgid/setresuid to
// config.identity. As any user: ambient, inheritable, permitted and effective
// capabilities cleared (and the bounding set where the process may clear it),
// no_new_privs set. Verifies with capget that nothing is left. A failure is an
// error: the monitor refuses to run half-confined (--no-jail is explicit).
Result<JailReport> enter_jail(const JailConfig& config);

// Drops every capability of the calling thread that it is allowed to drop:
// the bounding set (needs CAP_SETPCAP: skipped with EPERM), ambient,
// inheritable, permitted, effective. Sets *bounding_cleared. Part of
// enter_jail; separate so that a test can run it as an unprivileged user.
Result<void> drop_capabilities(bool* bounding_cleared);

}  // namespace shoal::vmm
