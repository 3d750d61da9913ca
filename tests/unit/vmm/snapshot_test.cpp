// The snapshot file (image/snapshot.hpp): layout and validation, and the
// monitor's page coalescing (snapshot_save.hpp). The save and resume
// themselves run under KVM in tests/snapshot.
#include <string.h>

#include <gtest/gtest.h>

#include <shoal/image/snapshot.hpp>

#include "hypercalls.hpp"
#include "snapshot_save.hpp"

using namespace shoal;
using namespace shoal::image;
using shoal::vmm::coalesce_pages;

namespace {

// A valid snapshot's bytes: 16 MiB of memory, two ranges, page data filled.
std::vector<uint8_t> valid_file(Snapshot* out = nullptr) {
  Snapshot s;
  auto& h = s.header;
  snprintf(h.build_id, sizeof h.build_id, "%s", "abc123");
  snprintf(h.image_name, sizeof h.image_name, "%s", "hello");
  h.memory_size = 16 << 20;
  h.cpu_features = 3;
  h.image_end = 0x500000;
  h.ready_args = 0x4a0000;
  s.devices.push_back(SnapshotDevice{"channel", 0x1000000000ull, 0x10000});
  s.ranges.push_back({0, 0x3000, 0});
  s.ranges.push_back({0x200000, 0x1000, 0});
  s.vcpu.assign(100, 7);
  auto bytes = layout_snapshot(s);
  bytes.resize(s.header.data_offset + s.header.data_size, 0x5a);
  if (out) *out = s;
  return bytes;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  auto r = parse_snapshot(bytes);
  return r ? "" : r.error().message;
}

// Rewrites the header through f and recomputes the checksum.
std::vector<uint8_t> with_header(std::vector<uint8_t> bytes, void (*f)(SnapshotHeader&)) {
  SnapshotHeader h;
  memcpy(&h, bytes.data(), sizeof h);
  f(h);
  uint64_t end = std::min<uint64_t>(h.vcpu_offset + h.vcpu_size, bytes.size());
  if (end < kSnapshotPage) end = kSnapshotPage;
  h.checksum = snapshot_checksum(h, std::span<const uint8_t>(bytes).subspan(kSnapshotPage, end - kSnapshotPage));
  memcpy(bytes.data(), &h, sizeof h);
  return bytes;
}

TEST(SnapshotFile, LayoutRoundTrips) {
  Snapshot written;
  auto bytes = valid_file(&written);
  auto r = parse_snapshot(bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->header.data_offset, 0x1000u * 2);
  EXPECT_EQ(r->header.saved_pages, 4u);
  ASSERT_EQ(r->ranges.size(), 2u);
  EXPECT_EQ(r->ranges[0].file_offset, r->header.data_offset);
  EXPECT_EQ(r->ranges[1].file_offset, r->header.data_offset + 0x3000);
  EXPECT_EQ(r->vcpu, written.vcpu);
  EXPECT_EQ(fixed_string(r->devices[0].name, sizeof r->devices[0].name), "channel");
}

TEST(SnapshotFile, EveryCorruptedByteOfHeaderOrTablesIsRefused) {
  auto bytes = valid_file();
  SnapshotHeader h;
  memcpy(&h, bytes.data(), sizeof h);
  uint64_t end = h.vcpu_offset + h.vcpu_size;
  for (uint64_t off = 0; off < end; ++off) {
    if (off >= sizeof h && off < kSnapshotPage) continue;  // the header page's padding
    auto bad = bytes;
    bad[off] ^= 0x41;
    EXPECT_NE(error_of(bad), "") << "byte " << off;
  }
}

TEST(SnapshotFile, FieldsAreChecked) {
  auto bytes = valid_file();
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.version = 2; })).find("format version 2"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.memory_size = 0x1234; })).find("memory size"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.range_count = 5000; })).find("page ranges"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.data_offset += 0x1000; })).find("page data at"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.ready_args = 1ull << 40; })).find("ready argument"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.ready_args = 0x10000; })).find("ready argument"),
            std::string::npos);
  // The monitor's state must be what its hypercalls would have accepted.
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) {
              h.upcall_entry = 0x210000;
              h.upcall_record = 0x10000;  // the page tables
            })).find("fault upcall"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) {
              h.upcall_entry = 0x210000;
              h.upcall_record = 0x220000;
              h.preempt_area = 0x230000;
              h.slice_ns = 5;
            })).find("preempt area"),
            std::string::npos);
  EXPECT_EQ(error_of(with_header(bytes, [](SnapshotHeader& h) {
              h.upcall_entry = 0x210000;
              h.upcall_record = 0x220000;
              h.preempt_area = 0x230000;
              h.slice_ns = 10000000;
            })),
            "");
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.image_end = 0x1000; })).find("image end"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.cpu_features = 0; })).find("cpu variant"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, [](SnapshotHeader& h) { h.build_id[0] = 0; })).find("build id"),
            std::string::npos);
}

TEST(SnapshotFile, RangesMustBeOrderedAlignedInsideMemory) {
  Snapshot s;
  valid_file(&s);
  auto check = [&](std::vector<SnapshotRange> ranges, const char* expected) {
    Snapshot t = s;
    t.ranges = ranges;
    auto bytes = layout_snapshot(t);
    bytes.resize(t.header.data_offset + t.header.data_size, 0);
    std::string e = error_of(bytes);
    EXPECT_NE(e.find(expected), std::string::npos) << e;
  };
  check({{0x2000, 0x2000, 0}, {0x3000, 0x1000, 0}}, "overlaps");
  check({{0x3000, 0x1000, 0}, {0x1000, 0x1000, 0}}, "overlaps");
  check({{0x1800, 0x1000, 0}}, "page-aligned");
  check({{0xfff000, 0x2000, 0}}, "outside guest memory");
  check({{0x1000, 0, 0}, {0x2000, 0x1000, 0}}, "empty");
}

TEST(SnapshotFile, TruncatedPageDataIsRefused) {
  auto bytes = valid_file();
  bytes.resize(bytes.size() - 1);
  EXPECT_NE(error_of(bytes).find("truncated"), std::string::npos);
  bytes.resize(100);
  EXPECT_NE(error_of(bytes).find("truncated"), std::string::npos);
}

TEST(SnapshotSave, CoalescesSmallGaps) {
  std::vector<bool> pages(64, false);
  for (int p : {0, 1, 2, 5, 20, 21, 40}) pages[p] = true;
  auto ranges = coalesce_pages(pages, 2);  // gap 3-4 (2 pages) merges, 6-19 does not
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].guest_addr, 0u);
  EXPECT_EQ(ranges[0].length, 6u * 4096);
  EXPECT_EQ(ranges[1].guest_addr, 20u * 4096);
  EXPECT_EQ(ranges[1].length, 2u * 4096);
  EXPECT_EQ(ranges[2].guest_addr, 40u * 4096);
  EXPECT_EQ(coalesce_pages(std::vector<bool>(8, false), 8).size(), 0u);
  EXPECT_EQ(coalesce_pages(std::vector<bool>(8, true), 0).size(), 1u);
}

}  // namespace
