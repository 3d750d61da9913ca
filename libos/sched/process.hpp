// This process among its family (docs/architecture.md, "Processes"): its pid
// and parent's pid, and fork. The monitor numbers the processes (abi
// HcProcess); until the first fork there is one process, pid 1, parent 0.
#pragma once

#include <stdint.h>

#include <shoal/abi/hypercall.h>

#include "arch/x86_64/syscall_frame.hpp"

namespace libos::sched {

int self_pid();
int parent_pid();
// True once this process has forked, or when it is a forked child: other
// processes can then signal it.
bool in_family();

// What the layers above the scheduler do at a fork, registered at start-up
// (as io_hooks): prepare() runs in the parent before the VM is cloned (the
// file layer moves its in-guest pipes to host pipes both processes reach);
// it returns 0 or -errno (the fork then fails with it).
struct ForkHooks {
  long (*prepare)();
};
void set_fork_hooks(const ForkHooks& hooks);

// fork, vfork and clone without CLONE_VM (or with CLONE_VM | CLONE_VFORK,
// done as a copy with the parent waiting for the child's end). child_stack:
// 0 to return on the caller's stack, else where the child's stack starts
// (clone's). child_tid: CLONE_CHILD_SETTID's word, or nullptr. Returns the
// child's pid in the parent, 0 in the child, or -errno.
long process_fork(SyscallFrame& frame, bool wait_child, uint64_t child_stack, int* child_tid);

// For execve (in a vfork child): the parent, waiting since the vfork, goes
// on. Harmless in any other process.
void vfork_done();

// The `process` hypercall (abi HcProcess) with op, pid, sig and flags; the
// result, and the status field in *status when status is not null.
long process_call(uint32_t op, int32_t pid, int32_t sig, uint32_t flags, int32_t* status = nullptr);

}  // namespace libos::sched
