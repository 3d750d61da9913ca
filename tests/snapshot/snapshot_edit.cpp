// snapshot_edit FILE FIELD VALUE: changes one field of a snapshot's header or
// tables and, unless FIELD is `corrupt`, recomputes the checksum, so that the
// monitor's own check of that field (not the checksum) is what a test meets.
//   version N | build_id TEXT | cpu_features N | cpu_strict N | memory_size N
//   range0_addr N | range_count N | corrupt OFFSET (flip one byte, checksum kept)
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <shoal/image/snapshot.hpp>

using namespace shoal::image;

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: snapshot_edit FILE FIELD VALUE\n");
    return 2;
  }
  std::string field = argv[2], value = argv[3];
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) return perror("open"), 1;
  SnapshotHeader h;
  if (pread(fd, &h, sizeof h, 0) != sizeof h) return fprintf(stderr, "short header\n"), 1;
  uint64_t tables_end = h.vcpu_offset + h.vcpu_size;
  if (tables_end > (64u << 20)) return fprintf(stderr, "tables too large\n"), 1;
  std::vector<uint8_t> head(tables_end);
  if (pread(fd, head.data(), head.size(), 0) != static_cast<ssize_t>(head.size())) return fprintf(stderr, "short tables\n"), 1;
  uint64_t n = strtoull(value.c_str(), nullptr, 0);
  bool keep_checksum = false;
  if (field == "version") h.version = static_cast<uint32_t>(n);
  else if (field == "build_id") snprintf(h.build_id, sizeof h.build_id, "%s", value.c_str());
  else if (field == "cpu_features") h.cpu_features = static_cast<uint32_t>(n);
  else if (field == "cpu_strict") h.cpu_strict = static_cast<uint32_t>(n);
  else if (field == "memory_size") h.memory_size = n;
  else if (field == "range_count") h.range_count = static_cast<uint32_t>(n);
  else if (field == "range0_addr") memcpy(head.data() + h.range_offset, &n, 8);
  else if (field == "corrupt") {
    if (n >= head.size()) return fprintf(stderr, "offset past the tables\n"), 1;
    head[n] ^= 0xff;
    memcpy(&h, head.data(), sizeof h);
    keep_checksum = true;
  } else {
    fprintf(stderr, "unknown field %s\n", field.c_str());
    return 2;
  }
  if (!keep_checksum) h.checksum = snapshot_checksum(h, std::span<const uint8_t>(head).subspan(kSnapshotPage, tables_end - kSnapshotPage));
  memcpy(head.data(), &h, sizeof h);
  if (pwrite(fd, head.data(), head.size(), 0) != static_cast<ssize_t>(head.size())) return perror("pwrite"), 1;
  close(fd);
  return 0;
}
