// libFuzzer target: the snapshot reader/validator (image/snapshot.hpp), which
// the monitor, `shoal run` and `shoal inspect` run on untrusted .snap files.
// A valid result must keep the promises the monitor's resume relies on:
// every range page-aligned, inside guest memory, in order, inside the file.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <shoal/image/snapshot.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal::image;
  auto snap = parse_snapshot(std::span<const uint8_t>(data, size));
  if (!snap.ok()) return 0;
  const auto& h = snap->header;
  uint64_t prev_end = 0;
  for (const auto& r : snap->ranges) {
    if (r.guest_addr % kSnapshotPage || r.length % kSnapshotPage || r.length == 0) abort();
    if (r.guest_addr < prev_end || r.guest_addr + r.length > h.memory_size) abort();
    if (r.file_offset < h.data_offset || r.file_offset + r.length > size) abort();
    prev_end = r.guest_addr + r.length;
  }
  if (snap->vcpu.size() != h.vcpu_size) abort();
  // Laying the parsed tables out again gives the same header and tables.
  Snapshot copy = snap.value();
  auto again = layout_snapshot(copy);
  if (again.size() != h.data_offset || copy.header.checksum != h.checksum) abort();
  return 0;
}
