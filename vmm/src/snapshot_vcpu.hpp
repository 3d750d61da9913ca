// The vCPU's state in a snapshot: registers, special registers, XCRs, the
// XSAVE area and the MSRs the monitor sets up (cpu_setup.cpp), as one blob
// (SnapshotHeader::vcpu_offset). The guest TSC is not part of it: a resumed
// guest runs on this host's TSC and the LibOS re-bases its clocks (boot.h).
#pragma once

#include <stdint.h>

#include <vector>

#include <shoal/base/result.hpp>

#include "cpu_setup.hpp"
#include "kvm.hpp"

namespace shoal::vmm {

// Reads the vCPU (after its last exit was completed) into a blob.
Result<std::vector<uint8_t>> capture_vcpu(Vcpu& vcpu);

// Sets a fresh vCPU to the blob's state, with the CPUID of config (which the
// caller has checked matches the snapshot's variant). A blob of the wrong
// size or shape is an error naming it.
Result<void> restore_vcpu(Vcpu& vcpu, const CpuConfig& config, const std::vector<uint8_t>& blob);

}  // namespace shoal::vmm
