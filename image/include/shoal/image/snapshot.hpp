// The snapshot file (.snap): a guest stopped at its ready point, resumable by
// shoal-vmm (docs/architecture.md, "Snapshots").
//
//   page 0            SnapshotHeader (this struct, zero-padded to 4 KiB)
//   tables            device regions, then page ranges, then the vCPU blob
//   data              the saved guest pages, each range page-aligned, in
//                     guest-address order; a resume maps them MAP_PRIVATE
//
// The header's checksum (XXH3-64) covers the header (checksum field zero) and
// every table; the pages are not read at resume (they are mapped lazily), so
// they are not covered. The monitor writes the header last, after the rest is
// on disk: a file cut short anywhere has no valid header.
//
// A snapshot is hostile input like an image: read_snapshot() checks every
// field before the monitor maps a byte (ranges inside guest memory,
// page-aligned, in order, not overlapping, inside the file; counts bounded;
// the checksum). The vCPU blob is opaque here: the monitor that wrote it
// checks its size and, through the build id, its layout.
#pragma once

#include <stdint.h>

#include <span>
#include <string>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::image {

inline constexpr char kSnapshotMagic[8] = {'S', 'H', 'O', 'A', 'L', 'S', 'N', 'P'};
inline constexpr uint32_t kSnapshotVersion = 1;
inline constexpr uint64_t kSnapshotPage = 4096;
inline constexpr uint32_t kSnapshotMaxDevices = 16;
inline constexpr uint32_t kSnapshotMaxKickPorts = 16;
inline constexpr uint32_t kSnapshotMaxRanges = 1u << 20;
inline constexpr uint64_t kSnapshotMaxVcpuBlob = 1u << 20;
inline constexpr uint64_t kSnapshotMaxMemory = 64ull << 30;  // abi kMaxMemory

// A memory region outside guest memory a device owns (DeviceRegion): a
// resumed instance must find the same ones at the same guest addresses (the
// saved page tables map them).
struct SnapshotDevice {
  char name[16];        // "channel", "net" (NUL-padded)
  uint64_t guest_addr;
  uint64_t size;
};
static_assert(sizeof(SnapshotDevice) == 32);

// [guest_addr, guest_addr + length) of guest memory is stored at file_offset.
struct SnapshotRange {
  uint64_t guest_addr;
  uint64_t length;
  uint64_t file_offset;
};
static_assert(sizeof(SnapshotRange) == 24);

struct SnapshotHeader {
  char magic[8];                 // kSnapshotMagic
  uint32_t version;              // kSnapshotVersion
  uint32_t header_size;          // sizeof(SnapshotHeader)
  uint64_t checksum;             // XXH3-64 of header (this field 0) + tables
  char build_id[32];             // the monitor that wrote it (NUL-padded hex)
  char image_name[64];           // the program's name, for reports and inspect (NUL-padded)
  uint64_t created_realtime_ns;  // when the save was made
  uint64_t memory_size;          // guest memory, bytes
  uint64_t tsc_khz;              // the saving host's guest TSC frequency (informative)

  // The CPU the guest ran with (cpu_setup.hpp CpuConfig): a resume needs the
  // same variant, XCR0 and xsave size.
  uint32_t cpu_features;         // vmm CpuFeatures (resolved: never `host`)
  uint32_t cpu_strict;           // 1: --cpu-features named the variant
  uint64_t xcr0;
  uint64_t xsave_components;
  uint32_t xsave_size;
  uint32_t image_devices;        // ImageHeader::devices (what --channel/--net may attach)

  // The monitor's own state (HypercallEnv).
  uint64_t image_end;
  uint64_t upcall_entry, upcall_record;
  uint64_t preempt_area, slice_ns;
  uint64_t ready_args;           // guest address of the HcReady being answered
  uint64_t ready_port;           // HcReady::port, for messages

  uint32_t device_count;         // SnapshotDevice entries at device_offset
  uint32_t kick_port_count;
  uint16_t kick_ports[kSnapshotMaxKickPorts];
  uint64_t device_offset;
  uint32_t range_count;          // SnapshotRange entries at range_offset
  uint32_t _pad;
  uint64_t range_offset;
  uint64_t vcpu_offset, vcpu_size;  // the vCPU blob (vmm snapshot_vcpu.hpp)
  uint64_t data_offset;          // first byte of page data (page-aligned)
  uint64_t data_size;            // bytes of page data (sum of the ranges' lengths)
  uint64_t saved_pages;          // data_size / 4096, for inspect
};

// A validated snapshot's header and tables (the vCPU blob copied out).
struct Snapshot {
  SnapshotHeader header{};
  std::vector<SnapshotDevice> devices;
  std::vector<SnapshotRange> ranges;
  std::vector<uint8_t> vcpu;
};

// True if the first bytes of a file are a snapshot's magic (for dispatch).
bool is_snapshot_magic(std::span<const uint8_t> first_bytes);

// Reads and validates the snapshot open on fd (file_size bytes). Errors name
// the field and the values, e.g. "range 3 (0x200000 + 0x3000) overlaps range 2".
Result<Snapshot> read_snapshot(int fd, uint64_t file_size);
// The same on bytes in memory (tests, the fuzzer): pages past the tables are
// not read, only their extent checked against bytes.size().
Result<Snapshot> parse_snapshot(std::span<const uint8_t> bytes);

// Lays out the tables after the header: fills device/range/vcpu offsets,
// data_offset, data_size, saved_pages, and every range's file_offset (in the
// order given, which must be guest-address order), then the checksum.
// Returns the bytes of header + tables (page 0 .. data_offset) to write.
std::vector<uint8_t> layout_snapshot(Snapshot& snap);

// The checksum of header + tables as stored in SnapshotHeader::checksum.
uint64_t snapshot_checksum(const SnapshotHeader& header, std::span<const uint8_t> tables);

// A NUL-padded fixed field as a string (at most its size).
std::string fixed_string(const char* field, size_t size);

}  // namespace shoal::image
