// Resuming a snapshot (`shoal-vmm [opts] FILE.snap`): the file is validated
// (image/snapshot.hpp: every field; here: the build id, the CPU variant, the
// devices), its page ranges are mapped MAP_PRIVATE | MAP_FIXED over fresh
// anonymous guest memory (nothing read eagerly: pages come from the page
// cache on first touch, shared by every instance, copied on write), the vCPU
// is restored, and just before the guest runs the per-instance fields are
// written (BootInfo's resume_count, resume_random, clocks, devices;
// HcReady's realtime_ns): the LibOS re-binds from them.
#pragma once

#include <stdint.h>

#include <functional>
#include <string>
#include <vector>

#include <shoal/abi/boot.h>
#include <shoal/image/snapshot.hpp>
#include <shoal/base/result.hpp>

#include "cpu_setup.hpp"
#include "guest_memory.hpp"
#include "hypercalls.hpp"
#include "page_tables.hpp"

namespace shoal::vmm {

struct ResumeFile {
  std::string path;
  int fd = -1;
  image::Snapshot snap;
};

// True if path starts with the snapshot magic (false if unreadable: the
// image path then reports the error).
bool is_snapshot_file(const std::string& path);

// Opens and validates FILE, and checks it was made by this monitor build.
Result<ResumeFile> open_snapshot(const std::string& path);

// The CPU configuration for the snapshot's variant on this host, or an error
// naming both when this host cannot give the guest the same XCR0 and XSAVE
// layout.
Result<CpuConfig> snapshot_cpu_config(const ResumeFile& f, const std::vector<kvm_cpuid_entry2>& supported,
                                      const std::function<HostCpu()>& read_host = read_host_cpu);

// The devices of this instance must have the regions and kick ports the
// snapshot's page tables and TSS were built for.
Result<void> check_snapshot_devices(const ResumeFile& f, const std::vector<DeviceRegion>& regions,
                                    const std::vector<uint16_t>& kick_ports);

// Maps the saved ranges over mem, then closes the file (the mappings keep it).
Result<void> map_snapshot(ResumeFile& f, const GuestMemory& mem);

// The monitor's state saved with the guest (upcall, preempt, image end).
void restore_hypercall_env(const ResumeFile& f, HypercallEnv& env);

struct InstanceFields {
  uint64_t tsc_khz = 0;
  uint64_t realtime_ns = 0;
  uint32_t host_signals_ignored = 0;
  uint8_t random[32] = {};  // resume_random, drawn before seccomp
  std::function<void(abi::BootInfo&)> fill_devices;
};

// Writes this instance's fields into BootInfo and the HcReady being answered.
Result<void> write_instance_fields(const GuestMemory& mem, const image::SnapshotHeader& h, const InstanceFields& in);

}  // namespace shoal::vmm
