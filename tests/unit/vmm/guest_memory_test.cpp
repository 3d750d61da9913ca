// GuestMemory: every access is bounds- and overflow-checked.
#include <errno.h>
#include <stdint.h>

#include <vector>

#include <gtest/gtest.h>

#include <shoal/abi/layout.h>

#include "guest_memory.hpp"

using namespace shoal::vmm;

namespace {

class GuestMemoryTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> buf = std::vector<uint8_t>(1 << 20, 0);
  GuestMemory mem = GuestMemory::wrap(buf.data(), buf.size());
};

TEST_F(GuestMemoryTest, SpanInside) {
  auto s = mem.span(0x1000, 16);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->data(), buf.data() + 0x1000);
  EXPECT_EQ(s->size(), 16u);
}

TEST_F(GuestMemoryTest, SpanAtTheEnd) {
  EXPECT_TRUE(mem.span(buf.size() - 8, 8).ok());
  EXPECT_TRUE(mem.span(buf.size(), 0).ok());
  EXPECT_FALSE(mem.span(buf.size() - 8, 9).ok());
  EXPECT_FALSE(mem.span(buf.size() + 1, 0).ok());
}

TEST_F(GuestMemoryTest, OverflowNearUint64Max) {
  EXPECT_FALSE(mem.span(UINT64_MAX, 1).ok());
  EXPECT_FALSE(mem.span(UINT64_MAX - 7, 16).ok());
  EXPECT_FALSE(mem.span(16, UINT64_MAX).ok());
  EXPECT_FALSE(mem.span(UINT64_MAX, UINT64_MAX).ok());
  EXPECT_FALSE(mem.read<uint64_t>(UINT64_MAX - 3).ok());
  EXPECT_FALSE(mem.write<uint64_t>(UINT64_MAX - 3, 1).ok());
}

TEST_F(GuestMemoryTest, ErrorNamesTheRange) {
  auto s = mem.span(0x7ffffff0000, 4096);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "0x7ffffff0000 + 4096 outside guest memory (1 MiB)");
}

TEST_F(GuestMemoryTest, ReadWriteRoundTrip) {
  ASSERT_TRUE(mem.write<uint64_t>(0x123, 0x1122334455667788ull).ok());  // unaligned is fine
  auto v = mem.read<uint64_t>(0x123);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value(), 0x1122334455667788ull);
  EXPECT_EQ(buf[0x123], 0x88);
}

TEST(GuestMemoryCreate, ReservesLazily) {
  auto mem = GuestMemory::create(1ull << 30);
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->size(), 1ull << 30);
  ASSERT_TRUE(mem->write<uint32_t>((1ull << 30) - 4, 7).ok());
  EXPECT_EQ(mem->read<uint32_t>((1ull << 30) - 4).value(), 7u);
  GuestMemory moved = std::move(mem.value());
  EXPECT_EQ(moved.size(), 1ull << 30);
  EXPECT_EQ(mem->size(), 0u);
  EXPECT_FALSE(mem->span(0, 1).ok());
}

TEST(DescribeBytes, Units) {
  EXPECT_EQ(describe_bytes(128ull << 20), "128 MiB");
  EXPECT_EQ(describe_bytes(2ull << 30), "2 GiB");
  EXPECT_EQ(describe_bytes(64 << 10), "64 KiB");
  EXPECT_EQ(describe_bytes(100), "100 bytes");
}

}  // namespace

// The reservation window (abi/layout.h): the monitor follows tables the guest
// wrote, so every entry is untrusted; a window address must be committed, on
// a frame above the LibOS, and a range must find its chunks on consecutive
// frames.
namespace window {

namespace sabi = shoal::abi;
constexpr uint64_t kMem = 16ull << 20;
constexpr uint64_t kPd = 0x300000;   // a page directory the "LibOS" took
constexpr uint64_t kPt = 0x301000;   // a split chunk's page table
constexpr uint64_t kTable = 0x7;     // present, writable, user
constexpr uint64_t kLeaf = 0x87;     // ... and 2 MiB

class WindowSpan : public ::testing::Test {
 protected:
  std::vector<uint8_t> buf = std::vector<uint8_t>(kMem, 0);
  GuestMemory mem = GuestMemory::wrap(buf.data(), buf.size());
  void SetUp() override {
    ASSERT_TRUE(mem.write<uint64_t>(sabi::kWindowPdptAddr, kPd | kTable).ok());
    // Chunks 0 and 1 on consecutive frames, chunk 2 elsewhere, chunk 3 split.
    ASSERT_TRUE(mem.write<uint64_t>(kPd + 0 * 8, 0x800000 | kLeaf).ok());
    ASSERT_TRUE(mem.write<uint64_t>(kPd + 1 * 8, 0xa00000 | kLeaf).ok());
    ASSERT_TRUE(mem.write<uint64_t>(kPd + 2 * 8, 0x600000 | kLeaf).ok());
    ASSERT_TRUE(mem.write<uint64_t>(kPd + 3 * 8, kPt | kTable).ok());
    ASSERT_TRUE(mem.write<uint64_t>(kPt, 0xc00000).ok());  // absent page, frame kept
  }
  static uint64_t at(uint64_t chunk, uint64_t off) { return sabi::kWindowBase + chunk * sabi::kWindowChunk + off; }
};

TEST_F(WindowSpan, TranslatesACommittedChunk) {
  auto s = mem.span(at(0, 0x123), 16);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->data(), buf.data() + 0x800123);
  auto t = mem.span(at(2, 0x10), 8);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->data(), buf.data() + 0x600010);
}

TEST_F(WindowSpan, CrossesChunksOnlyOnConsecutiveFrames) {
  EXPECT_TRUE(mem.span(at(0, sabi::kWindowChunk - 8), 16).ok());
  auto s = mem.span(at(1, sabi::kWindowChunk - 8), 16);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, EFAULT);
}

TEST_F(WindowSpan, ASplitChunkUsesItsFirstEntrysFrame) {
  auto s = mem.span(at(3, 0x2000), 4);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->data(), buf.data() + 0xc02000);
}

TEST_F(WindowSpan, RefusesUncommittedAndForgedEntries) {
  EXPECT_FALSE(mem.span(at(4, 0), 1).ok());                        // not committed
  EXPECT_FALSE(mem.span(sabi::kWindowBase + (1ull << 30), 1).ok());  // no page directory
  ASSERT_TRUE(mem.write<uint64_t>(kPd + 5 * 8, 0x000000 | kLeaf).ok());
  EXPECT_FALSE(mem.span(at(5, 0), 1).ok());                        // frame on the monitor's area
  ASSERT_TRUE(mem.write<uint64_t>(kPd + 6 * 8, 0x40000000 | kLeaf).ok());
  EXPECT_FALSE(mem.span(at(6, 0), 1).ok());                        // frame outside guest memory
  ASSERT_TRUE(mem.write<uint64_t>(sabi::kWindowPdptAddr + 8, 0x7ff000000ull | kTable).ok());
  EXPECT_FALSE(mem.span(sabi::kWindowBase + (1ull << 30), 1).ok());  // directory outside memory
  EXPECT_FALSE(mem.span(sabi::kWindowBase + sabi::kWindowSize - 8, 16).ok());  // past the window
  EXPECT_FALSE(mem.span(at(0, 0), UINT64_MAX).ok());
}

}  // namespace window
