// GuestMemory: every access is bounds- and overflow-checked.
#include <stdint.h>

#include <vector>

#include <gtest/gtest.h>

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
