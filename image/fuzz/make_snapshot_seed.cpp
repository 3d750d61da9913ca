// Writes a valid snapshot file (header, tables, a few pages) as a seed for
// fuzz_snapshot (scripts/fuzz): the fuzzer starts from the real layout.
#include <stdio.h>
#include <string.h>

#include <shoal/image/snapshot.hpp>

int main(int argc, char** argv) {
  using namespace shoal::image;
  if (argc != 2) return 2;
  Snapshot s;
  auto& h = s.header;
  snprintf(h.build_id, sizeof h.build_id, "%s", "seed");
  snprintf(h.image_name, sizeof h.image_name, "%s", "hello");
  h.memory_size = 16 << 20;
  h.cpu_features = 2;
  h.image_end = 0x500000;
  h.ready_args = 0x4a0000;
  s.devices.push_back(SnapshotDevice{"channel", 0x1000000000ull, 0x10000});
  // Four pages in all: within scripts/fuzz's -max_len of 16 KiB.
  s.ranges = {{0, 0x1000, 0}, {0x200000, 0x1000, 0}};
  s.vcpu.assign(64, 1);
  auto bytes = layout_snapshot(s);
  bytes.resize(s.header.data_offset + s.header.data_size, 0xcc);
  FILE* f = fopen(argv[1], "wb");
  if (!f || fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) return 1;
  fclose(f);
  return 0;
}
