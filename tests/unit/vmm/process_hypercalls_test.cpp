// The `process` and `host_fd` hypercalls against a fake guest memory and a
// real family table: wait reports real host children's statuses as Linux's
// wait does, kill reaches only the family, the limit gives EAGAIN, and
// host_fd reaches only the descriptors it made.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/hypercall.h>

#include "family.hpp"
#include "hypercalls.hpp"
#include "process_hypercalls.hpp"

using namespace shoal::vmm;
namespace sabi = shoal::abi;

namespace {

constexpr uint64_t kMem = 16ull << 20;
constexpr uint64_t kArgs = 0x210000;
constexpr uint64_t kBuf = 0x220000;

class ProcessHypercallTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> buf = std::vector<uint8_t>(kMem, 0);
  GuestMemory mem = GuestMemory::wrap(buf.data(), kMem);
  HypercallEnv env;
  std::optional<Family> family;

  void SetUp() override {
    env.mem = &mem;
    env.timed_out = [] { return false; };
    auto f = Family::create(4);
    ASSERT_TRUE(f.ok());
    family.emplace(std::move(f.value()));
    env.family = &*family;
    ASSERT_TRUE(install_hypercalls(env, process_hypercalls()).ok());
  }

  sabi::HcProcess call(uint32_t op, int32_t pid = 0, int32_t sig = 0, uint32_t flags = 0) {
    sabi::HcProcess a{};
    a.op = op;
    a.pid = pid;
    a.sig = sig;
    a.flags = flags;
    EXPECT_TRUE(mem.write(kArgs, a).ok());
    auto action = dispatch_hypercall(env, static_cast<uint16_t>(sabi::Hypercall::process), kArgs);
    EXPECT_TRUE(action.ok());
    return mem.read<sabi::HcProcess>(kArgs).value();
  }

  // A host child entered in the table as the guest's child (what fork_vm does).
  int32_t spawn(int exit_code, bool wait_for_signal = false) {
    FamilyEntry* e = family->add_child();
    if (e == nullptr) return -1;
    pid_t pid = fork();
    if (pid == 0) {
      if (wait_for_signal) pause();
      _exit(exit_code);
    }
    e->host_pid.store(pid);
    return e->guest_pid.load();
  }
};

TEST_F(ProcessHypercallTest, WaitGivesTheChildsExitStatusAndPid) {
  int32_t child = spawn(7);
  ASSERT_EQ(child, 2);
  auto r = call(sabi::kProcessWait, child);
  EXPECT_EQ(r.result, child);
  EXPECT_TRUE(WIFEXITED(r.status));
  EXPECT_EQ(WEXITSTATUS(r.status), 7);
  // Reaped: gone from the table.
  EXPECT_EQ(call(sabi::kProcessWait, -1).result, -ECHILD);
}

TEST_F(ProcessHypercallTest, KillEndsAChildThatWaitReportsAsSignaled) {
  int32_t child = spawn(0, true);
  EXPECT_EQ(call(sabi::kProcessWait, child, 0, sabi::kWaitNoHang).result, 0);
  EXPECT_EQ(call(sabi::kProcessKill, child, SIGKILL).result, 0);
  auto r = call(sabi::kProcessWait, -1);
  EXPECT_EQ(r.result, child);
  EXPECT_TRUE(WIFSIGNALED(r.status));
  EXPECT_EQ(WTERMSIG(r.status), SIGKILL);
}

TEST_F(ProcessHypercallTest, KillRefusesSignalsTheMonitorCannotForwardAndUnknownPids) {
  int32_t child = spawn(0, true);
  // SIGALRM and SIGVTALRM are the monitor's own timers: not sent.
  EXPECT_EQ(call(sabi::kProcessKill, child, SIGALRM).result, -EINVAL);
  EXPECT_EQ(call(sabi::kProcessKill, 999, SIGTERM).result, -ESRCH);
  EXPECT_EQ(call(sabi::kProcessKill, child, 65).result, -EINVAL);
  // The caller's own pid is reported back, not signalled through the host.
  auto self = call(sabi::kProcessKill, 1, SIGTERM);
  EXPECT_EQ(self.result, 0);
  EXPECT_EQ(self.status, 1);
  EXPECT_EQ(call(sabi::kProcessKill, child, SIGTERM).result, 0);
  auto r = call(sabi::kProcessWait, child);
  EXPECT_TRUE(WIFSIGNALED(r.status));
  EXPECT_EQ(WTERMSIG(r.status), SIGTERM);
}

TEST_F(ProcessHypercallTest, TheLimitCountsLiveAndUnreapedProcesses) {
  // Limit 4: pid 1 and three children.
  for (int i = 0; i < 3; ++i) EXPECT_GT(spawn(0), 0);
  EXPECT_EQ(family->add_child(), nullptr);
  EXPECT_GT(call(sabi::kProcessWait, -1).result, 0);
  EXPECT_NE(family->add_child(), nullptr);
  while (call(sabi::kProcessWait, -1).result > 0) {
  }
}

TEST_F(ProcessHypercallTest, ProcessGroupsFollowLinuxRules) {
  int32_t child = spawn(0, true);
  EXPECT_EQ(call(sabi::kProcessGetpgid, 0).result, 1);
  EXPECT_EQ(call(sabi::kProcessGetpgid, child).result, 1);  // inherited
  EXPECT_EQ(call(sabi::kProcessSetpgid, child, child).result, 0);
  EXPECT_EQ(call(sabi::kProcessGetpgid, child).result, child);
  EXPECT_EQ(call(sabi::kProcessSetpgid, child, 77).result, -EPERM);  // no such group
  EXPECT_EQ(call(sabi::kProcessSetpgid, 55, 0).result, -ESRCH);
  EXPECT_EQ(call(sabi::kProcessSetsid).result, -EPERM);  // pid 1 leads group 1
  EXPECT_EQ(call(sabi::kProcessKill, -child, SIGKILL).result, 0);
  EXPECT_EQ(call(sabi::kProcessWait, child).result, child);
}

TEST_F(ProcessHypercallTest, HostFdReachesOnlyTheDescriptorsItMade) {
  sabi::HcHostFd a{};
  a.op = sabi::kHostFdPipe;
  ASSERT_TRUE(mem.write(kArgs, a).ok());
  ASSERT_TRUE(dispatch_hypercall(env, static_cast<uint16_t>(sabi::Hypercall::host_fd), kArgs).ok());
  auto made = mem.read<sabi::HcHostFd>(kArgs).value();
  ASSERT_EQ(made.result, 0);
  auto io = [&](uint32_t op, int fd, uint64_t len, uint32_t flags = 0) {
    sabi::HcHostFd b{};
    b.op = op;
    b.fd = fd;
    b.buf = kBuf;
    b.len = len;
    b.flags = flags;
    EXPECT_TRUE(mem.write(kArgs, b).ok());
    auto action = dispatch_hypercall(env, static_cast<uint16_t>(sabi::Hypercall::host_fd), kArgs);
    return action.ok() ? mem.read<sabi::HcHostFd>(kArgs).value().result : int64_t{-9999};
  };
  ASSERT_TRUE(mem.write(kBuf, uint32_t{0x41424344}).ok());
  EXPECT_EQ(io(sabi::kHostFdWrite, made.fd2, 4), 4);
  EXPECT_EQ(io(sabi::kHostFdPoll, made.fd, POLLIN) & POLLIN, POLLIN);
  EXPECT_EQ(io(sabi::kHostFdRead, made.fd, 16), 4);
  EXPECT_EQ(io(sabi::kHostFdRead, made.fd, 16, sabi::kHostFdNonBlock), -EAGAIN);
  // Descriptors the monitor did not make through host_fd (its stdio, its VM).
  EXPECT_EQ(io(sabi::kHostFdWrite, 1, 4), -EBADF);
  EXPECT_EQ(io(sabi::kHostFdRead, 0, 4), -EBADF);
  EXPECT_EQ(io(sabi::kHostFdRead, made.fd, 2u << 20), -EINVAL);
  // A buffer outside guest memory is the guest's error, not a host access.
  sabi::HcHostFd bad{};
  bad.op = sabi::kHostFdRead;
  bad.fd = made.fd;
  bad.buf = kMem - 2;
  bad.len = 16;
  ASSERT_TRUE(mem.write(kArgs, bad).ok());
  EXPECT_FALSE(dispatch_hypercall(env, static_cast<uint16_t>(sabi::Hypercall::host_fd), kArgs).ok());
  EXPECT_EQ(io(sabi::kHostFdClose, made.fd2, 0), 0);
  EXPECT_EQ(io(sabi::kHostFdRead, made.fd, 16), 0);  // end of file
  EXPECT_EQ(io(sabi::kHostFdClose, made.fd2, 0), -EBADF);
  EXPECT_EQ(io(sabi::kHostFdClose, made.fd, 0), 0);
}

TEST_F(ProcessHypercallTest, WithoutAFamilyEveryCallIsEnosys) {
  env.family = nullptr;
  EXPECT_EQ(call(sabi::kProcessWait, -1).result, -ENOSYS);
  EXPECT_EQ(call(sabi::kProcessFork).result, -ENOSYS);
}

TEST(Family, RejectsALimitOutOfRange) {
  EXPECT_FALSE(Family::create(0).ok());
  EXPECT_FALSE(Family::create(kFamilyMaxEntries + 1).ok());
}

}  // namespace
