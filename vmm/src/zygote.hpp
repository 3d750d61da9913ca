// A template monitor, or "zygote" (issue 13): `shoal-vmm --zygote-fd N
// FILE.snap`. It does once what every instance of a snapshot would otherwise
// repeat — the exec and dynamic loading of shoal-vmm, option parsing, opening
// and validating the file, KVM_GET_SUPPORTED_CPUID (whose cpuids trap to the
// outer hypervisor), the guest memory reservation with the snapshot mapped
// MAP_PRIVATE, the jail's namespaces and identity — and then forks one
// monitor per request from shoald. The child inherits all of it copy-on-write
// and does only the instance's part: its own KVM VM and vCPU over the
// inherited memory, the vCPU restored, its devices, seccomp, KVM_RUN.
//
// Every instance is still its own process with its own VM (DESIGN.md decision
// 3). The child is made with clone3(CLONE_PARENT | CLONE_PIDFD): it is
// shoald's child, not the template's, so its exit status reaches shoald's
// waitpid like any monitor's, and the pidfd comes back in the reply. What the
// children of one template share: the jail's mount/IPC/UTS namespaces (an
// empty read-only root; the seccomp filter allows none of the calls that
// would use them), and, until one writes it, every page of the template.
//
// NOTE: the child comes from a raw clone3, not glibc's fork(): glibc's
// descriptor of the main thread keeps the template's tid (used only as the
// owner mark of the child's own mutexes, consistently; raise() and
// pthread_kill() on the calling thread ask the kernel for the tid). The
// template is single-threaded and between requests, so no lock is held
// across the clone.
#pragma once

#include <sys/types.h>

#include <optional>

#include <shoal/base/result.hpp>
#include <shoal/vmm/zygote_wire.hpp>

namespace shoal::vmm {

// What a forked child was asked for. Its stdout and stderr are already the
// request's (descriptors 1 and 2); the rest are open descriptors of the child.
struct ZygoteRequest {
  uint32_t flags = 0;
  int channel[3] = {-1, -1, -1};  // memfd, TO_HOST, TO_GUEST (--channel)
  int start_fd = -1;              // --start-on-fd, with kFlagStartOnFd
};

// Serves requests on `sock` until its peer closes it. Returns nullopt in the
// template when the peer is gone (the template then exits), and the request
// in each forked child, which goes on to run its instance. `launcher` is
// shoald's pid: a child whose parent is not it (shoald died meanwhile) exits.
Result<std::optional<ZygoteRequest>> serve_zygote(int sock, pid_t launcher);

}  // namespace shoal::vmm
