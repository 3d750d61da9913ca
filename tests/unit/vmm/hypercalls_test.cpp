// Hypercall argument validation against a fake guest memory: bad pointers
// become errors that name the argument, never a crash or a host access.
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>

#include "hypercalls.hpp"

using namespace shoal::vmm;
namespace sabi = shoal::abi;
using sabi::Hypercall;

namespace {

constexpr uint64_t kMem = 16ull << 20;
constexpr uint64_t kArgs = 0x210000;  // argument structs live in LibOS data
constexpr uint64_t kBuf = 0x220000;

class HypercallTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> buf = std::vector<uint8_t>(kMem, 0);
  GuestMemory mem = GuestMemory::wrap(buf.data(), kMem);
  HypercallEnv env;
  int out_pipe[2] = {-1, -1};
  std::vector<uint64_t> slept;

  void SetUp() override {
    ASSERT_EQ(pipe(out_pipe), 0);
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    env.mem = &mem;
    env.image_end = 0x400000;
    env.stdout_fd = out_pipe[1];
    env.stderr_fd = out_pipe[1];
    env.sleep = [this](uint64_t ns) {
      slept.push_back(ns);
      return true;
    };
    env.timed_out = [] { return false; };
    env.realtime_ns = [] { return uint64_t{1234}; };
  }
  void TearDown() override {
    close(out_pipe[0]);
    close(out_pipe[1]);
  }
  template <typename T>
  void put(uint64_t addr, const T& v) {
    ASSERT_TRUE(mem.write(addr, v).ok());
  }
  template <typename T>
  T get(uint64_t addr) {
    return mem.read<T>(addr).value();
  }
  shoal::Result<HcAction> call(Hypercall nr, uint64_t args) {
    return dispatch_hypercall(env, static_cast<uint16_t>(nr), args);
  }
  std::string drain() {
    char tmp[4096];
    ssize_t n = read(out_pipe[0], tmp, sizeof tmp);
    return n > 0 ? std::string(tmp, static_cast<size_t>(n)) : "";
  }
};

TEST_F(HypercallTest, TableIsGeneratedFromTheXMacro) {
  EXPECT_STREQ(hypercall_info(1).name, "console_write");
  EXPECT_STREQ(hypercall_info(6).name, "discard");
  EXPECT_EQ(hypercall_info(5).args_size, sizeof(sabi::HcReport));
  EXPECT_EQ(hypercall_info(0).handler, nullptr);
  EXPECT_STREQ(hypercall_info(7).name, "upcall");
  EXPECT_STREQ(hypercall_info(8).name, "preempt");
  EXPECT_EQ(hypercall_info(9).handler, nullptr);
  EXPECT_EQ(hypercall_info(0xffff).handler, nullptr);
  EXPECT_FALSE(dispatch_hypercall(env, 0, kArgs).ok());
}

TEST_F(HypercallTest, ConsoleWrite) {
  memcpy(buf.data() + kBuf, "hello", 5);
  put(kArgs, sabi::HcConsoleWrite{1, 0, kBuf, 5, 0});
  auto r = call(Hypercall::console_write, kArgs);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->kind, HcAction::Kind::resume);
  EXPECT_EQ(get<sabi::HcConsoleWrite>(kArgs).result, 5);
  EXPECT_EQ(drain(), "hello");
}

TEST_F(HypercallTest, ConsoleWriteMayPrintArgStrings) {
  memcpy(buf.data() + sabi::kArgsAddr, "argv0", 5);
  put(kArgs, sabi::HcConsoleWrite{2, 0, sabi::kArgsAddr, 5, 0});
  ASSERT_TRUE(call(Hypercall::console_write, kArgs).ok());
  EXPECT_EQ(drain(), "argv0");
}

TEST_F(HypercallTest, ConsoleWriteBadBufferIsAnError) {
  put(kArgs, sabi::HcConsoleWrite{1, 0, 0x7ffffff0000ull, 4096, 0});
  auto r = call(Hypercall::console_write, kArgs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "buffer 0x7ffffff0000 + 4096 outside guest memory (16 MiB)");
}

TEST_F(HypercallTest, ConsoleWriteOverflowingBuffer) {
  put(kArgs, sabi::HcConsoleWrite{1, 0, UINT64_MAX - 10, 100, 0});
  EXPECT_FALSE(call(Hypercall::console_write, kArgs).ok());
  put(kArgs, sabi::HcConsoleWrite{1, 0, kMem - 10, 11, 0});
  EXPECT_FALSE(call(Hypercall::console_write, kArgs).ok());
  put(kArgs, sabi::HcConsoleWrite{1, 0, kMem - 10, 10, 0});
  EXPECT_TRUE(call(Hypercall::console_write, kArgs).ok());
}

TEST_F(HypercallTest, ConsoleWriteFromMonitorMemoryIsAnError) {
  put(kArgs, sabi::HcConsoleWrite{1, 0, sabi::kPageTableAddr, 64, 0});
  auto r = call(Hypercall::console_write, kArgs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("monitor-owned"), std::string::npos);
}

TEST_F(HypercallTest, ConsoleWriteBadFdAndLength) {
  put(kArgs, sabi::HcConsoleWrite{3, 0, kBuf, 5, 0});
  ASSERT_TRUE(call(Hypercall::console_write, kArgs).ok());
  EXPECT_EQ(get<sabi::HcConsoleWrite>(kArgs).result, -EBADF);
  put(kArgs, sabi::HcConsoleWrite{1, 0, kBuf, kMaxConsoleTransfer + 1, 0});
  ASSERT_TRUE(call(Hypercall::console_write, kArgs).ok());
  EXPECT_EQ(get<sabi::HcConsoleWrite>(kArgs).result, -EINVAL);
}

TEST_F(HypercallTest, ArgumentStructOutsideMemory) {
  for (uint64_t bad : {kMem, kMem - 8, uint64_t{UINT32_MAX}, UINT64_MAX - 4}) {
    auto r = call(Hypercall::console_write, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("argument struct"), std::string::npos);
  }
}

TEST_F(HypercallTest, ArgumentStructInMonitorMemory) {
  // The monitor writes OUT fields: never into its own tables.
  auto r = call(Hypercall::block, sabi::kPageTableAddr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("monitor-owned"), std::string::npos);
  EXPECT_FALSE(call(Hypercall::exit, 0).ok());
}

TEST_F(HypercallTest, ConsoleReadIntoGuest) {
  int in_pipe[2];
  ASSERT_EQ(pipe(in_pipe), 0);
  ASSERT_EQ(write(in_pipe[1], "abc", 3), 3);
  close(in_pipe[1]);
  env.stdin_fd = in_pipe[0];
  put(kArgs, sabi::HcConsoleRead{0, 0, kBuf, 100, 0});
  ASSERT_TRUE(call(Hypercall::console_read, kArgs).ok());
  EXPECT_EQ(get<sabi::HcConsoleRead>(kArgs).result, 3);
  EXPECT_EQ(memcmp(buf.data() + kBuf, "abc", 3), 0);
  ASSERT_TRUE(call(Hypercall::console_read, kArgs).ok());
  EXPECT_EQ(get<sabi::HcConsoleRead>(kArgs).result, 0);  // end of file
  close(in_pipe[0]);
}

TEST_F(HypercallTest, ConsoleReadBadBuffer) {
  put(kArgs, sabi::HcConsoleRead{0, 0, sabi::kBootInfoAddr, 16, 0});  // read-only for the guest
  EXPECT_FALSE(call(Hypercall::console_read, kArgs).ok());
  put(kArgs, sabi::HcConsoleRead{0, 0, kMem - 1, 2, 0});
  EXPECT_FALSE(call(Hypercall::console_read, kArgs).ok());
  put(kArgs, sabi::HcConsoleRead{1, 0, kBuf, 2, 0});
  ASSERT_TRUE(call(Hypercall::console_read, kArgs).ok());
  EXPECT_EQ(get<sabi::HcConsoleRead>(kArgs).result, -EBADF);
}

TEST_F(HypercallTest, BlockSleepsAndReportsTime) {
  put(kArgs, sabi::HcBlock{5000, 0});
  auto r = call(Hypercall::block, kArgs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, HcAction::Kind::resume);
  EXPECT_EQ(slept, std::vector<uint64_t>{5000});
  EXPECT_EQ(get<sabi::HcBlock>(kArgs).realtime_ns, 1234u);
}

TEST_F(HypercallTest, BlockForeverIsDeadlock) {
  put(kArgs, sabi::HcBlock{UINT64_MAX, 0});
  EXPECT_EQ(call(Hypercall::block, kArgs)->kind, HcAction::Kind::deadlock);
  EXPECT_TRUE(slept.empty());
}

TEST_F(HypercallTest, BlockForeverWithAChannelWaitsForAKick) {
  // With an event source (the channel's wake eventfd) no deadline is a wait.
  env.has_event_source = true;
  put(kArgs, sabi::HcBlock{UINT64_MAX, 0});
  auto r = call(Hypercall::block, kArgs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, HcAction::Kind::resume);
  EXPECT_EQ(slept, std::vector<uint64_t>{UINT64_MAX});
  EXPECT_EQ(get<sabi::HcBlock>(kArgs).realtime_ns, 1234u);
}

TEST_F(HypercallTest, BlockCutShortByTimeout) {
  env.sleep = [](uint64_t) { return false; };
  put(kArgs, sabi::HcBlock{1000000000, 0});
  EXPECT_EQ(call(Hypercall::block, kArgs)->kind, HcAction::Kind::timeout);
}

TEST_F(HypercallTest, ExitStatusIsTruncatedLikeLinux) {
  put(kArgs, sabi::HcExit{42, 0});
  auto r = call(Hypercall::exit, kArgs);
  EXPECT_EQ(r->kind, HcAction::Kind::exit);
  EXPECT_EQ(r->status, 42);
  put(kArgs, sabi::HcExit{256 + 3, 0});
  EXPECT_EQ(call(Hypercall::exit, kArgs)->status, 3);
  put(kArgs, sabi::HcExit{-1, 0});
  EXPECT_EQ(call(Hypercall::exit, kArgs)->status, 255);
}

TEST_F(HypercallTest, ReportClampsStatusAndMessage) {
  sabi::HcReport rep{};
  rep.kind = static_cast<uint32_t>(sabi::ReportKind::panic);
  rep.status = 0;
  rep.message = kBuf;
  rep.message_len = 1 << 30;  // capped at kMaxReportMessage
  rep.has_regs = 1;
  rep.regs.rip = 0x201234;
  memcpy(buf.data() + kBuf, "boom", 4);
  put(kArgs, rep);
  auto r = call(Hypercall::report, kArgs);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->kind, HcAction::Kind::report);
  EXPECT_EQ(r->status, 1);
  EXPECT_EQ(r->message.size(), kMaxReportMessage);
  EXPECT_EQ(r->message.substr(0, 4), "boom");
  ASSERT_TRUE(r->regs.has_value());
  EXPECT_EQ(r->regs->rip, 0x201234u);
  rep.status = 1000;
  rep.message_len = 4;
  put(kArgs, rep);
  EXPECT_EQ(call(Hypercall::report, kArgs)->status, 255);
}

TEST_F(HypercallTest, ReportBadMessagePointer) {
  sabi::HcReport rep{};
  rep.status = 134;
  rep.message = UINT64_MAX - 1;
  rep.message_len = 16;
  put(kArgs, rep);
  auto r = call(Hypercall::report, kArgs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("message"), std::string::npos);
}

TEST_F(HypercallTest, DiscardZeroesHeapPages) {
  // Buffer-backed memory is not a private mapping, so use a real one here.
  auto real = GuestMemory::create(kMem);
  ASSERT_TRUE(real.ok());
  env.mem = &real.value();
  ASSERT_TRUE(real->write<uint64_t>(0x500000, 0xdead).ok());
  ASSERT_TRUE(real->write(kArgs, sabi::HcDiscard{0x500000, 0x2000, 1}).ok());
  ASSERT_TRUE(call(Hypercall::discard, kArgs).ok());
  EXPECT_EQ(real->read<sabi::HcDiscard>(kArgs)->result, 0);
  EXPECT_EQ(real->read<uint64_t>(0x500000).value(), 0u);
}

TEST_F(HypercallTest, DiscardValidatesTheRange) {
  struct Case {
    uint64_t addr, len;
  } cases[] = {
      {0x500001, 0x1000},          // misaligned
      {0x500000, 0x1001},          // odd length
      {0x200000, 0x1000},          // inside the image
      {kMem - 0x1000, 0x2000},     // past the end
      {UINT64_MAX & ~0xfffull, 0x2000},  // wraps
  };
  for (const auto& c : cases) {
    put(kArgs, sabi::HcDiscard{c.addr, c.len, 0});
    ASSERT_TRUE(call(Hypercall::discard, kArgs).ok());
    EXPECT_EQ(get<sabi::HcDiscard>(kArgs).result, -EINVAL) << std::hex << c.addr;
  }
}

// Random argument structs at random addresses: errors or actions, never a crash.
TEST_F(HypercallTest, RandomArgumentsNeverCrash) {
  uint64_t x = 88172645463325252ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  env.stdout_fd = env.stderr_fd = open("/dev/null", O_WRONLY);
  env.stdin_fd = open("/dev/null", O_RDONLY);
  for (int i = 0; i < 20000; ++i) {
    uint64_t args = (i % 3 == 0) ? next() : kArgs;
    for (int w = 0; w < 24; ++w) {
      uint64_t v = next();
      if (w % 3 == 0) v &= 0xffffff;  // plausible small values too
      put(kArgs + w * 8, v);
    }
    (void)dispatch_hypercall(env, static_cast<uint16_t>(next() % 9), args);
  }
  close(env.stdout_fd);
  close(env.stdin_fd);
}

}  // namespace
