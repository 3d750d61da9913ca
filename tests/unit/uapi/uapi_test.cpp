// libos/uapi against the system headers: every constant the LibOS defines under a Linux name
// has Linux's value, and every structure Linux's size. The LibOS is freestanding and cannot
// include the system headers itself; this host test is where the two meet.
#include <gtest/gtest.h>

#include <cstring>

#include "named.hpp"

namespace uapi_test {
namespace {

void expect_same(const Named* ours, const Named* theirs, int count) {
  ASSERT_GT(count, 0);
  for (int i = 0; i < count; ++i) {
    ASSERT_STREQ(ours[i].name, theirs[i].name);
    EXPECT_EQ(ours[i].value, theirs[i].value) << ours[i].name;
  }
}

TEST(Uapi, ConstantsAndSizesMatchTheSystemHeaders) { expect_same(kLibosValues, kLinuxValues, kValueCount); }

TEST(Uapi, SignalFrameMatchesTheKernelHeaders) { expect_same(kLibosAsm, kLinuxAsm, kAsmCount); }

}  // namespace
}  // namespace uapi_test
