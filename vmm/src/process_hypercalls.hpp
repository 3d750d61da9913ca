// The `process` and `host_fd` hypercalls (abi/hypercall.h): the process
// model of a family of instances (docs/architecture.md, "Processes"). fork
// itself needs the vCPU and the VM: the handler returns HcAction::Kind::fork
// and the run loop calls MonitorConfig::fork (fork_vm.hpp). Everything else
// is here: wait (host waitpid on the child's monitor), kill (a host signal to
// the target's monitor, which forwards it to its guest), process groups and
// sessions (the family table), and the pipes a family shares (host pipes the
// monitors inherited from each other).
#pragma once

#include <vector>

#include "hypercalls.hpp"

namespace shoal::vmm {

// The core's routes for `process` and `host_fd` (installed by main.cpp).
std::vector<HypercallRoute> process_hypercalls();

// A vfork child's end of the pipe its parent waits on (fork_vm.cpp), closed
// by kProcessVforkDone (the child's exec) or by the child's end.
void set_vfork_release_fd(int fd);

}  // namespace shoal::vmm
