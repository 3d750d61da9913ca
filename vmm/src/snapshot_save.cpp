#include "snapshot_save.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shoal/abi/layout.h>

#include "snapshot_vcpu.hpp"
#include "vmm_build_id.h"

namespace shoal::vmm {
namespace {

constexpr uint64_t kPage = abi::kPageSize;
// Gaps of up to this many pages are saved (as zeros or the image's bytes)
// rather than splitting a range: a page of file costs less than an mmap and
// a VMA per instance.
constexpr uint64_t kMaxGapPages = 8;
constexpr uint64_t kPagemapPresent = 1ull << 63, kPagemapSwapped = 1ull << 62;

uint64_t now_ns(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

Error io_error(const std::string& what) {
  int e = errno;
  return make_error(what + ": " + strerror(e), e);
}

Result<void> pwrite_all(int fd, const uint8_t* data, uint64_t len, uint64_t offset, const std::string& path) {
  while (len > 0) {
    ssize_t n = pwrite(fd, data, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot write " + path);
    if (n == 0) return make_error("cannot write " + path + ": no progress", EIO);
    data += n;
    len -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

// Marks the pages the host has backed (present or swapped) in guest memory.
Result<void> mark_touched(int pagemap_fd, const GuestMemory& mem, std::vector<bool>& wanted) {
  uint64_t pages = mem.size() / kPage;
  uint64_t first = reinterpret_cast<uint64_t>(mem.host_base()) / kPage;
  std::vector<uint64_t> entries(8192);
  for (uint64_t p = 0; p < pages;) {
    uint64_t n = std::min<uint64_t>(entries.size(), pages - p);
    ssize_t got = pread(pagemap_fd, entries.data(), n * 8, static_cast<off_t>((first + p) * 8));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || got % 8 != 0) return io_error("cannot read /proc/self/pagemap");
    uint64_t count = static_cast<uint64_t>(got) / 8;
    for (uint64_t i = 0; i < count; ++i)
      if (entries[i] & (kPagemapPresent | kPagemapSwapped)) wanted[p + i] = true;
    p += count;
  }
  return {};
}

}  // namespace

std::vector<image::SnapshotRange> coalesce_pages(const std::vector<bool>& wanted, uint64_t max_gap) {
  std::vector<image::SnapshotRange> out;
  uint64_t n = wanted.size();
  for (uint64_t p = 0; p < n;) {
    if (!wanted[p]) {
      ++p;
      continue;
    }
    uint64_t start = p, end = p + 1;  // [start, end) wanted so far
    for (uint64_t q = end; q < n; ++q) {
      if (wanted[q]) {
        end = q + 1;
      } else if (q - end + 1 > max_gap) {
        break;
      }
    }
    out.push_back({start * kPage, (end - start) * kPage, 0});
    p = end;
  }
  return out;
}

Result<SnapshotOut> prepare_snapshot_out(const std::string& path) {
  SnapshotOut out;
  out.path = path;
  // A new inode at FILE: a running instance may map the old one (MAP_PRIVATE
  // pages it has not copied yet come from the file): truncating it in place
  // would make them fault.
  std::string tmp = path + ".tmp";
  out.fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out.fd < 0) return io_error("--snapshot-out: cannot create " + tmp);
  if (rename(tmp.c_str(), path.c_str()) < 0) {
    Error e = io_error("--snapshot-out: cannot rename " + tmp + " to " + path);
    unlink(tmp.c_str());
    close(out.fd);
    return e;
  }
  out.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (out.pagemap_fd < 0) {
    Error e = io_error("--snapshot-out: cannot open /proc/self/pagemap");
    close(out.fd);
    return e;
  }
  return out;
}

Result<SnapshotSaved> save_snapshot(const SnapshotOut& out, const GuestMemory& mem, Vcpu& vcpu,
                                    const HypercallEnv& env, uint64_t ready_args, uint64_t ready_port) {
  uint64_t t0 = now_ns(CLOCK_MONOTONIC);
  image::Snapshot snap;
  snap.header = out.header;
  image::SnapshotHeader& h = snap.header;
  snprintf(h.build_id, sizeof h.build_id, "%s", kVmmBuildId);
  h.created_realtime_ns = now_ns(CLOCK_REALTIME);
  h.memory_size = mem.size();
  h.image_end = env.image_end;
  h.upcall_entry = env.upcall_entry;
  h.upcall_record = env.upcall_record;
  h.preempt_area = env.preempt_area;
  h.slice_ns = env.slice_ns;
  h.ready_args = ready_args;
  h.ready_port = ready_port;
  snap.devices = out.devices;
  snap.vcpu = TRY(capture_vcpu(vcpu));

  std::vector<bool> wanted(mem.size() / kPage, false);
  TRY(mark_touched(out.pagemap_fd, mem, wanted));
  for (auto [addr, len] : out.always) {
    for (uint64_t a = addr & ~(kPage - 1); a < addr + len && a / kPage < wanted.size(); a += kPage) wanted[a / kPage] = true;
  }
  snap.ranges = coalesce_pages(wanted, kMaxGapPages);
  if (snap.ranges.empty()) return make_error("no guest page to save");
  auto tables = image::layout_snapshot(snap);

  // Pages first, then the tables, then (after they are on disk) the header.
  for (const auto& r : snap.ranges) {
    auto bytes = TRY(mem.span(r.guest_addr, r.length));
    TRY(pwrite_all(out.fd, bytes.data(), bytes.size(), r.file_offset, out.path));
  }
  TRY(pwrite_all(out.fd, tables.data() + kPage, tables.size() - kPage, kPage, out.path));
  if (fsync(out.fd) < 0) return io_error("cannot fsync " + out.path);
  TRY(pwrite_all(out.fd, tables.data(), kPage, 0, out.path));
  if (fsync(out.fd) < 0) return io_error("cannot fsync " + out.path);

  SnapshotSaved saved;
  saved.pages = h.saved_pages;
  saved.ranges = snap.ranges.size();
  saved.bytes = h.data_offset + h.data_size;
  saved.micros = (now_ns(CLOCK_MONOTONIC) - t0) / 1000;
  return saved;
}

}  // namespace shoal::vmm
