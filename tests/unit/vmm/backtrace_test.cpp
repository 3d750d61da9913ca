// Stack-scan backtraces on a synthetic stack and synthetic code.
#include <string.h>

#include <vector>

#include <gtest/gtest.h>

#include "backtrace.hpp"

using namespace shoal::vmm;

namespace {

constexpr uint64_t kCode = 0x400000;
constexpr uint64_t kCodeEnd = 0x401000;
constexpr uint64_t kStackTop = 0x800000;

class BacktraceTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> buf = std::vector<uint8_t>(kStackTop, 0);
  GuestMemory mem = GuestMemory::wrap(buf.data(), buf.size());
  std::vector<CodeRange> code = {{kCode, kCodeEnd}};

  // Places bytes so that they end exactly at return address ret.
  void call_before(uint64_t ret, std::initializer_list<uint8_t> bytes) {
    memcpy(buf.data() + ret - bytes.size(), std::data(bytes), bytes.size());
  }
  void push(uint64_t& rsp, uint64_t value) {
    rsp -= 8;
    memcpy(buf.data() + rsp, &value, 8);
  }
};

TEST_F(BacktraceTest, CallForms) {
  call_before(0x400105, {0xe8, 1, 2, 3, 4});                         // call rel32
  call_before(0x400202, {0xff, 0xd0});                               // call *%rax
  call_before(0x400303, {0x41, 0xff, 0xd3});                         // call *%r11
  call_before(0x400403, {0xff, 0x50, 0x08});                         // call *8(%rax)
  call_before(0x400503, {0xff, 0x14, 0x24});                         // call *(%rsp)
  call_before(0x400604, {0xff, 0x54, 0x24, 0x08});                   // call *8(%rsp)
  call_before(0x400706, {0xff, 0x15, 1, 2, 3, 4});                   // call *rel(%rip)
  call_before(0x400806, {0xff, 0x90, 1, 2, 3, 4});                   // call *disp32(%rax)
  call_before(0x400907, {0xff, 0x14, 0xc5, 1, 2, 3, 4});             // call *disp32(,%rax,8)
  for (uint64_t ret : {0x400105, 0x400202, 0x400303, 0x400403, 0x400503, 0x400604, 0x400706, 0x400806, 0x400907})
    EXPECT_TRUE(follows_call(mem, code, ret)) << std::hex << ret;
}

TEST_F(BacktraceTest, NotCalls) {
  call_before(0x400a02, {0xff, 0xe0});        // jmp *%rax (reg field 4)
  call_before(0x400b05, {0xe9, 1, 2, 3, 4});  // jmp rel32
  call_before(0x400c03, {0xff, 0x10, 0x90});  // call *(%rax) followed by a nop: length mismatch at -3
  EXPECT_FALSE(follows_call(mem, code, 0x400a02));
  EXPECT_FALSE(follows_call(mem, code, 0x400b05));
  EXPECT_FALSE(follows_call(mem, code, 0x400c03));
  EXPECT_FALSE(follows_call(mem, code, 0x300000));     // not code
  EXPECT_FALSE(follows_call(mem, code, kCode + 1));     // too close to the start
  EXPECT_FALSE(follows_call(mem, code, UINT64_MAX));
}

TEST_F(BacktraceTest, ScanFindsReturnAddressesInOrder) {
  call_before(0x400105, {0xe8, 1, 2, 3, 4});
  call_before(0x400202, {0xff, 0xd0});
  uint64_t rsp = kStackTop - 0x100;
  push(rsp, 0x400202);       // outer frame
  push(rsp, 0x12345678);     // noise
  push(rsp, 0x400150);       // points into code but not after a call
  push(rsp, 0x400105);       // inner frame
  auto frames = scan_backtrace(mem, code, 0x400300, rsp, kStackTop);
  EXPECT_EQ(frames, (std::vector<uint64_t>{0x400300, 0x400105, 0x400202}));
}

TEST_F(BacktraceTest, ScanIsBounded) {
  call_before(0x400105, {0xe8, 1, 2, 3, 4});
  call_before(0x400205, {0xe8, 1, 2, 3, 4});
  uint64_t rsp = kStackTop - 8 * 100;
  for (uint64_t a = rsp; a < kStackTop; a += 8) {
    uint64_t ret = (a / 8) % 2 ? 0x400105 : 0x400205;
    memcpy(buf.data() + a, &ret, 8);
  }
  auto frames = scan_backtrace(mem, code, 0x400300, rsp, kStackTop);
  EXPECT_EQ(frames.size(), kMaxFrames);
}

TEST_F(BacktraceTest, RepeatedWordsAreOneFrame) {
  call_before(0x400105, {0xe8, 1, 2, 3, 4});
  uint64_t rsp = kStackTop - 0x100;
  push(rsp, 0x400105);
  push(rsp, 0x400105);
  EXPECT_EQ(scan_backtrace(mem, code, 0x400300, rsp, kStackTop).size(), 2u);
}

TEST_F(BacktraceTest, HostileStackPointers) {
  EXPECT_EQ(scan_backtrace(mem, code, 1, UINT64_MAX - 3, kStackTop).size(), 1u);
  EXPECT_EQ(scan_backtrace(mem, code, 1, kStackTop + 0x1000, kStackTop).size(), 1u);
  EXPECT_EQ(scan_backtrace(mem, code, 1, 0, UINT64_MAX).size(), 1u);  // scans [0, 256 KiB): all zero
}

}  // namespace
