#include "fork_vm.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shoal/abi/hypercall.h>

#include "host_signals.hpp"
#include "process_hypercalls.hpp"
#include "preempt.hpp"
#include "timeout.hpp"
#include "vm_clone.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

Result<void> write_fork_fields(HypercallEnv& env, GuestAddr a, int64_t result, int32_t self, int32_t parent) {
  TRY(write_field(env, a, offsetof(HcProcess, self_pid), self));
  TRY(write_field(env, a, offsetof(HcProcess, parent_pid), parent));
  TRY(write_field(env, a, offsetof(HcProcess, result), result));
  return {};
}

// The child's side, in the new host process.
Result<ForkOutcome> become_child(ForkContext& ctx, HypercallEnv& env, GuestAddr a, const VcpuCapture& capture,
                                 FamilyEntry* entry, int32_t parent_pid, pid_t parent_host) {
  // A child of the first process dies with it (the family ends with pid 1);
  // deeper ones are re-parented to it (PR_SET_CHILD_SUBREAPER in main.cpp)
  // and killed by its kill_all_others() at its end.
  if (parent_pid == 1) {
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent_host) _exit(1);
  }
  ctx.family->become(entry->guest_pid.load());
  entry->host_pid.store(getpid());
  // The handlers point at the parent's vCPU object: off before it goes.
  // Interval timers are not inherited by fork (the slice's or --timeout's):
  // the child has no timeout of its own (the family ends with pid 1).
  disarm_timeout();
  disarm_slice_handler();
  disarm_host_signals();
  (void)take_host_signals();  // the parent's pending signals are not the child's
  int fd = (*ctx.vcpu)->fd();
  auto vcpu = TRY(clone_vm_in_child(*ctx.vm, std::move(*ctx.vcpu), fd, *ctx.cpu, capture));
  *ctx.vcpu = std::move(vcpu);
  Vcpu* now = ctx.vcpu->get();
  TRY(install_slice_handler(now));
  TRY(install_host_signal_handlers(now));
  if (env.preempt_area != 0) TRY(env.mem->write<uint32_t>(env.preempt_area + offsetof(PreemptArea, armed), 0));
  TRY(write_fork_fields(env, a, 0, entry->guest_pid.load(), parent_pid));
  return ForkOutcome{true, now};
}

}  // namespace

Result<ForkOutcome> fork_instance(ForkContext& ctx, HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcProcess>(env, a));
  if (ctx.family == nullptr) {
    TRY(write_fork_fields(env, a, -ENOSYS, 1, 0));
    return ForkOutcome{};
  }
  Family& fam = *ctx.family;
  int32_t self = fam.self_pid();
  FamilyEntry* self_entry = fam.self();
  int32_t parent = self_entry ? self_entry->parent.load() : 0;
  if (!ctx.refused.empty()) {
    TRY(write_fork_fields(env, a, -ENOSYS, self, parent));
    return ForkOutcome{};
  }
  FamilyEntry* entry = fam.add_child();
  if (entry == nullptr) {
    TRY(write_fork_fields(env, a, -EAGAIN, self, parent));
    return ForkOutcome{};
  }
  auto capture = capture_for_clone(**ctx.vcpu);
  if (!capture) {
    fam.remove(entry);
    return capture.error();
  }
  // vfork: the parent goes on once the child has exec'd or ended, which
  // closes the child's end of this pipe. A child that follows the vfork
  // rules only execs or _exits, so a copy behaves as shared memory would.
  int release[2] = {-1, -1};
  bool vfork = (args.flags & kForkWaitChild) != 0;
  if (vfork && pipe2(release, O_CLOEXEC) < 0) release[0] = release[1] = -1;
  pid_t parent_host = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    fam.remove(entry);
    if (release[0] >= 0) {
      close(release[0]);
      close(release[1]);
    }
    TRY(write_fork_fields(env, a, e == ENOMEM ? -ENOMEM : -EAGAIN, self, parent));
    return ForkOutcome{};
  }
  if (pid == 0) {
    if (release[0] >= 0) close(release[0]);
    set_vfork_release_fd(release[1]);
    return become_child(ctx, env, a, capture.value(), entry, self, parent_host);
  }
  entry->host_pid.store(pid);
  int32_t child = entry->guest_pid.load();
  if (release[0] >= 0) {
    close(release[1]);
    pollfd p{release[0], POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
      if (env.timed_out && env.timed_out()) break;
    }
    close(release[0]);
  }
  TRY(write_fork_fields(env, a, child, self, parent));
  return ForkOutcome{};
}

}  // namespace shoal::vmm
