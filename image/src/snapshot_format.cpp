// The snapshot file's reader/validator and layout (snapshot.hpp).
#include <shoal/image/snapshot.hpp>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace shoal::image {
namespace {

static_assert(sizeof(SnapshotHeader) <= kSnapshotPage);

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(v));
  return buf;
}

Error bad(const std::string& what) { return make_error("snapshot: " + what, EINVAL); }

uint64_t align_up(uint64_t v) { return (v + kSnapshotPage - 1) & ~(kSnapshotPage - 1); }

bool aligned(uint64_t v) { return v % kSnapshotPage == 0; }

// [off, off + len) inside [0, size), overflow-safe.
bool inside(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

// The tables' extent: [kSnapshotPage, tables_end) (devices, ranges, vCPU
// blob, in that order, each right after the previous).
uint64_t tables_end(const SnapshotHeader& h) { return h.vcpu_offset + h.vcpu_size; }

// Every header field that does not need the tables.
Result<void> check_header(const SnapshotHeader& h, uint64_t file_size) {
  if (memcmp(h.magic, kSnapshotMagic, sizeof h.magic) != 0) return bad("bad magic (not a snapshot file)");
  if (h.version != kSnapshotVersion)
    return bad("format version " + std::to_string(h.version) + ", this shoal reads version " +
               std::to_string(kSnapshotVersion));
  if (h.header_size != sizeof(SnapshotHeader))
    return bad("header size " + std::to_string(h.header_size) + ", expected " + std::to_string(sizeof(SnapshotHeader)));
  if (h.build_id[0] == 0) return bad("empty build id");
  if (h.memory_size == 0 || !aligned(h.memory_size) || h.memory_size > kSnapshotMaxMemory)
    return bad("memory size " + hex(h.memory_size) + " is not a page multiple in (0, 64 GiB]");
  if (h.cpu_features > 3 || h.cpu_features == 0) return bad("cpu variant " + std::to_string(h.cpu_features) + " unknown");
  if (h.cpu_strict > 1) return bad("cpu_strict " + std::to_string(h.cpu_strict) + " is not 0 or 1");
  if (h.xsave_size % 64 != 0 || h.xsave_size > (1u << 20)) return bad("xsave size " + std::to_string(h.xsave_size) + " invalid");
  if (h.image_end == 0 || !aligned(h.image_end) || h.image_end > h.memory_size)
    return bad("image end " + hex(h.image_end) + " outside guest memory");
  // The monitor's own state obeys what the hypercalls that set it accept
  // (vmm/src/hypercalls.cpp): the upcall and preempt area in the LibOS's
  // range, 8-aligned records, a slice in [1 ms, 1 s]; the HcReady the resume
  // answers above the monitor's pages; discard's floor above the LibOS.
  auto in_libos = [](uint64_t a, uint64_t len) { return a >= abi::kLibosBase && a <= abi::kLibosLimit - len; };
  if (h.image_end < abi::kLibosLimit) return bad("image end " + hex(h.image_end) + " below the application's range");
  if (h.upcall_entry != 0 || h.upcall_record != 0) {
    if (!in_libos(h.upcall_entry, 1) || !in_libos(h.upcall_record, sizeof(abi::FaultUpcall)) || h.upcall_record % 8)
      return bad("fault upcall " + hex(h.upcall_entry) + "/" + hex(h.upcall_record) + " outside the LibOS");
  }
  if (h.preempt_area != 0 || h.slice_ns != 0) {
    if (h.upcall_entry == 0 || !in_libos(h.preempt_area, sizeof(abi::PreemptArea)) || h.preempt_area % 8 ||
        h.slice_ns < 1000000 || h.slice_ns > 1000000000)
      return bad("preempt area " + hex(h.preempt_area) + " or slice " + std::to_string(h.slice_ns) + " ns invalid");
  }
  if (h.ready_args < abi::kLibosBase || !inside(h.ready_args, sizeof(abi::HcReady), h.memory_size) ||
      h.ready_args >= (1ull << 32))
    return bad("ready argument address " + hex(h.ready_args) + " invalid");
  if (h.device_count > kSnapshotMaxDevices)
    return bad(std::to_string(h.device_count) + " devices (at most " + std::to_string(kSnapshotMaxDevices) + ")");
  if (h.kick_port_count > kSnapshotMaxKickPorts)
    return bad(std::to_string(h.kick_port_count) + " kick ports (at most " + std::to_string(kSnapshotMaxKickPorts) + ")");
  if (h.range_count == 0 || h.range_count > kSnapshotMaxRanges || h.range_count > h.memory_size / kSnapshotPage)
    return bad(std::to_string(h.range_count) + " page ranges (1 to " + std::to_string(kSnapshotMaxRanges) +
               ", at most one per page)");
  if (h.vcpu_size == 0 || h.vcpu_size > kSnapshotMaxVcpuBlob)
    return bad("vCPU state of " + std::to_string(h.vcpu_size) + " bytes");
  // The tables sit where layout_snapshot() puts them: nothing else is accepted,
  // so no two tables can overlap and none can reach into the page data.
  uint64_t devices = h.device_count * sizeof(SnapshotDevice);
  uint64_t ranges = uint64_t{h.range_count} * sizeof(SnapshotRange);
  if (h.device_offset != kSnapshotPage) return bad("device table at " + hex(h.device_offset) + ", expected 0x1000");
  if (h.range_offset != h.device_offset + devices)
    return bad("range table at " + hex(h.range_offset) + ", expected " + hex(h.device_offset + devices));
  if (h.vcpu_offset != h.range_offset + ranges)
    return bad("vCPU state at " + hex(h.vcpu_offset) + ", expected " + hex(h.range_offset + ranges));
  if (h.data_offset != align_up(tables_end(h)))
    return bad("page data at " + hex(h.data_offset) + ", expected " + hex(align_up(tables_end(h))));
  if (h.data_size == 0 || !aligned(h.data_size) || h.data_size > h.memory_size || h.saved_pages != h.data_size / kSnapshotPage)
    return bad("page data of " + hex(h.data_size) + " bytes (" + std::to_string(h.saved_pages) + " pages) for " +
               hex(h.memory_size) + " of memory");
  if (!inside(h.data_offset, h.data_size, file_size))
    return bad("truncated: page data " + hex(h.data_offset) + " + " + hex(h.data_size) + " past the end of the file (" +
               hex(file_size) + " bytes)");
  return {};
}

Result<void> check_tables(const Snapshot& s) {
  const SnapshotHeader& h = s.header;
  for (uint32_t i = 0; i < h.device_count; ++i) {
    const SnapshotDevice& d = s.devices[i];
    if (memchr(d.name, 0, sizeof d.name) == nullptr || d.name[0] == 0)
      return bad("device " + std::to_string(i) + ": name not NUL-terminated or empty");
    // Device regions live outside guest memory (above it: abi/layout.h).
    if (d.size == 0 || !aligned(d.guest_addr) || !aligned(d.size) || d.guest_addr < h.memory_size ||
        d.guest_addr + d.size < d.guest_addr)
      return bad("device " + std::to_string(i) + " (" + fixed_string(d.name, sizeof d.name) + ") region " +
                 hex(d.guest_addr) + " + " + hex(d.size) + " invalid");
  }
  uint64_t next_addr = 0, next_offset = h.data_offset;
  for (uint32_t i = 0; i < h.range_count; ++i) {
    const SnapshotRange& r = s.ranges[i];
    std::string name = "range " + std::to_string(i) + " (" + hex(r.guest_addr) + " + " + hex(r.length) + ")";
    if (r.length == 0 || !aligned(r.guest_addr) || !aligned(r.length)) return bad(name + " is empty or not page-aligned");
    if (!inside(r.guest_addr, r.length, h.memory_size)) return bad(name + " outside guest memory (" + hex(h.memory_size) + ")");
    if (r.guest_addr < next_addr) return bad(name + " overlaps or precedes range " + std::to_string(i - 1));
    // Stored back to back in range order: the offsets follow from the lengths.
    if (r.file_offset != next_offset)
      return bad(name + " stored at " + hex(r.file_offset) + ", expected " + hex(next_offset));
    next_addr = r.guest_addr + r.length;
    next_offset += r.length;
  }
  if (next_offset - h.data_offset != h.data_size)
    return bad("the ranges hold " + hex(next_offset - h.data_offset) + " bytes, the header says " + hex(h.data_size));
  return {};
}

Result<Snapshot> parse_with(std::span<const uint8_t> head, uint64_t file_size) {
  if (head.size() < sizeof(SnapshotHeader)) return bad("truncated: " + std::to_string(head.size()) + " bytes, no header");
  Snapshot s;
  memcpy(&s.header, head.data(), sizeof s.header);
  TRY(check_header(s.header, file_size));
  const SnapshotHeader& h = s.header;
  if (head.size() < tables_end(h)) return bad("truncated inside the tables");
  s.devices.resize(h.device_count);
  if (h.device_count) memcpy(s.devices.data(), head.data() + h.device_offset, h.device_count * sizeof(SnapshotDevice));
  s.ranges.resize(h.range_count);
  memcpy(s.ranges.data(), head.data() + h.range_offset, h.range_count * sizeof(SnapshotRange));
  s.vcpu.assign(head.begin() + static_cast<ptrdiff_t>(h.vcpu_offset), head.begin() + static_cast<ptrdiff_t>(tables_end(h)));
  uint64_t sum = snapshot_checksum(h, head.subspan(kSnapshotPage, tables_end(h) - kSnapshotPage));
  if (sum != h.checksum) return bad("checksum mismatch (header or tables corrupted): " + hex(sum) + " != " + hex(h.checksum));
  TRY(check_tables(s));
  return s;
}

}  // namespace

std::string fixed_string(const char* field, size_t size) {
  const void* nul = memchr(field, 0, size);
  return std::string(field, nul ? static_cast<size_t>(static_cast<const char*>(nul) - field) : size);
}

bool is_snapshot_magic(std::span<const uint8_t> first_bytes) {
  return first_bytes.size() >= sizeof kSnapshotMagic && memcmp(first_bytes.data(), kSnapshotMagic, sizeof kSnapshotMagic) == 0;
}

uint64_t snapshot_checksum(const SnapshotHeader& header, std::span<const uint8_t> tables) {
  SnapshotHeader h = header;
  h.checksum = 0;
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, &h, sizeof h);
  XXH3_64bits_update(&state, tables.data(), tables.size());
  return XXH3_64bits_digest(&state);
}

Result<Snapshot> parse_snapshot(std::span<const uint8_t> bytes) {
  return parse_with(bytes, bytes.size());
}

Result<Snapshot> read_snapshot(int fd, uint64_t file_size) {
  if (file_size < sizeof(SnapshotHeader)) return bad("truncated: " + std::to_string(file_size) + " bytes, no header");
  SnapshotHeader h;
  ssize_t n = pread(fd, &h, sizeof h, 0);
  if (n < 0) return make_error(std::string("snapshot: read: ") + strerror(errno), errno);
  if (static_cast<size_t>(n) != sizeof h) return bad("truncated header");
  TRY(check_header(h, file_size));
  // The header bounds the tables (counts checked): read exactly them.
  std::vector<uint8_t> head(tables_end(h));
  uint64_t done = 0;
  while (done < head.size()) {
    n = pread(fd, head.data() + done, head.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(std::string("snapshot: read: ") + strerror(errno), errno);
    if (n == 0) return bad("truncated inside the tables");
    done += static_cast<uint64_t>(n);
  }
  return parse_with(head, file_size);
}

std::vector<uint8_t> layout_snapshot(Snapshot& snap) {
  SnapshotHeader& h = snap.header;
  memcpy(h.magic, kSnapshotMagic, sizeof h.magic);
  h.version = kSnapshotVersion;
  h.header_size = sizeof(SnapshotHeader);
  h.device_count = static_cast<uint32_t>(snap.devices.size());
  h.range_count = static_cast<uint32_t>(snap.ranges.size());
  h.device_offset = kSnapshotPage;
  h.range_offset = h.device_offset + snap.devices.size() * sizeof(SnapshotDevice);
  h.vcpu_offset = h.range_offset + snap.ranges.size() * sizeof(SnapshotRange);
  h.vcpu_size = snap.vcpu.size();
  h.data_offset = align_up(tables_end(h));
  uint64_t offset = h.data_offset;
  for (auto& r : snap.ranges) {
    r.file_offset = offset;
    offset += r.length;
  }
  h.data_size = offset - h.data_offset;
  h.saved_pages = h.data_size / kSnapshotPage;
  std::vector<uint8_t> out(h.data_offset, 0);
  if (!snap.devices.empty())
    memcpy(out.data() + h.device_offset, snap.devices.data(), snap.devices.size() * sizeof(SnapshotDevice));
  if (!snap.ranges.empty())
    memcpy(out.data() + h.range_offset, snap.ranges.data(), snap.ranges.size() * sizeof(SnapshotRange));
  if (!snap.vcpu.empty()) memcpy(out.data() + h.vcpu_offset, snap.vcpu.data(), snap.vcpu.size());
  h.checksum = snapshot_checksum(h, std::span<const uint8_t>(out).subspan(kSnapshotPage, tables_end(h) - kSnapshotPage));
  memcpy(out.data(), &h, sizeof h);
  return out;
}

}  // namespace shoal::image
