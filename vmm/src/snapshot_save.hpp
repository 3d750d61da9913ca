// Saving a snapshot at the guest's ready point (`--snapshot-out FILE`).
//
// prepare_snapshot_out() runs before the jail: it creates FILE as a new
// inode (FILE.tmp renamed over FILE, so instances still mapping an older
// FILE keep their copy) and opens /proc/self/pagemap. save_snapshot() runs
// at the `ready` hypercall, under seccomp: it finds the guest pages the guest
// or the monitor touched (pagemap: present or swapped) plus every page of the
// image's file-backed sections (untouched ones read through from the image),
// coalesces them into ranges with small gaps, writes the pages and tables,
// and writes the header last, after an fsync: a file cut short anywhere has
// no valid header.
#pragma once

#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

#include <shoal/image/snapshot.hpp>
#include <shoal/base/result.hpp>

#include "guest_memory.hpp"
#include "hypercalls.hpp"
#include "kvm.hpp"

namespace shoal::vmm {

struct SnapshotOut {
  std::string path;
  int fd = -1;          // FILE, open for writing
  int pagemap_fd = -1;  // /proc/self/pagemap
  bool then_exit = true;  // --snapshot-then exit (default) | run
  // Filled by the boot path: what goes into the header besides the state.
  image::SnapshotHeader header{};  // name, memory, CPU, image devices
  std::vector<image::SnapshotDevice> devices;
  // Guest ranges always saved whole: the image's file-backed sections.
  std::vector<std::pair<uint64_t, uint64_t>> always;
};

Result<SnapshotOut> prepare_snapshot_out(const std::string& path);

// What the save reports, for --verbose.
struct SnapshotSaved {
  uint64_t pages = 0, ranges = 0, bytes = 0, micros = 0;
};

// Writes the snapshot: guest memory as it is now, the vCPU (its last exit
// completed), the monitor's state in env, ready_args/port.
Result<SnapshotSaved> save_snapshot(const SnapshotOut& out, const GuestMemory& mem, Vcpu& vcpu,
                                    const HypercallEnv& env, uint64_t ready_args, uint64_t ready_port);

// Pages [first, first+count) of the bitmap `wanted` (one bool per guest
// page) as ranges, merging two runs separated by at most max_gap unwanted
// pages (fewer mmaps at resume for a few saved zero pages). Exposed for tests.
std::vector<image::SnapshotRange> coalesce_pages(const std::vector<bool>& wanted, uint64_t max_gap);

}  // namespace shoal::vmm
