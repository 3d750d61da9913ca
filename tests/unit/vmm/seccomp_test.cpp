// The seccomp policy kills the process on a forbidden system call, and lets
// the ones the run loop needs through.
#include <fcntl.h>
#include <signal.h>
#include <linux/kvm.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>

#include "devices/console/console_module.hpp"
#include "devices/net/net_module.hpp"
#include "seccomp_policy.hpp"

using namespace shoal::vmm;

namespace {

// Runs body in a child under the policy; returns the wait status.
template <typename F>
int in_confined_child(F body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!apply_seccomp_policy(-1, -1, -1, console_seccomp_rules()).ok()) _exit(100);
    body();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

// As in_confined_child, with the KVM ioctls pinned to vcpu_fd.
template <typename F>
int in_child_pinned_to(int vcpu_fd, F body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!apply_seccomp_policy(-1, vcpu_fd, -1, console_seccomp_rules()).ok()) _exit(100);
    body();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

TEST(Seccomp, KvmIoctlOnAnotherFdKills) {
  int vcpu_like = open("/dev/null", O_RDONLY);
  int other = open("/dev/null", O_RDONLY);
  ASSERT_GE(vcpu_like, 0);
  ASSERT_GE(other, 0);
  // On the pinned fd the request is allowed (it fails with ENOTTY: not a vCPU).
  int st = in_child_pinned_to(vcpu_like, [&] { syscall(SYS_ioctl, vcpu_like, KVM_GET_REGS, nullptr); });
  ASSERT_TRUE(WIFEXITED(st)) << "killed by signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 0);
  // The same request on any other fd (the VM's, /dev/kvm's) is a kill.
  st = in_child_pinned_to(vcpu_like, [&] { syscall(SYS_ioctl, other, KVM_GET_REGS, nullptr); });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
  close(vcpu_like);
  close(other);
}

TEST(Seccomp, SocketKillsWithSigsys) {
  int st = in_confined_child([] { syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); });
  ASSERT_TRUE(WIFSIGNALED(st)) << "exit status " << WEXITSTATUS(st);
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

TEST(Seccomp, OpenatKillsWithSigsys) {
  int st = in_confined_child([] { syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY); });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

TEST(Seccomp, WriteToOtherFdKills) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer builds allow writes to any fd (seccomp_policy.cpp)";
#endif
  int st = in_confined_child([] { syscall(SYS_write, 5, "x", 1); });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

TEST(Seccomp, ExecutableMappingKills) {
  int st = in_confined_child([] {
    syscall(SYS_mmap, nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

TEST(Seccomp, FileMappingKills) {
  int fd = open("/dev/zero", O_RDONLY);
  int st = in_confined_child([fd] { syscall(SYS_mmap, nullptr, 4096, PROT_READ, MAP_PRIVATE, fd, 0); });
  close(fd);
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

TEST(Seccomp, KvmIoctlsOtherThanRunAndRegsKill) {
  int st = in_confined_child([] { syscall(SYS_ioctl, 99, KVM_CREATE_VM, 0); });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

// As in_confined_child, with a channel's wake descriptor.
template <typename F>
int in_child_with_wake_fd(int wake_fd, F body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!apply_seccomp_policy(-1, -1, wake_fd, console_seccomp_rules()).ok()) _exit(100);
    body();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

TEST(Seccomp, ChannelWakeFdMayBePolledAndDrained) {
  int wake = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
  int st = in_child_with_wake_fd(wake, [wake] {
    struct pollfd p{wake, POLLIN, 0};
    struct timespec ts = {0, 1000};
    if (syscall(SYS_ppoll, &p, 1, &ts, nullptr, 8) != 1) syscall(SYS_exit_group, 1);
    uint64_t v;
    if (syscall(SYS_read, wake, &v, 8) != 8) syscall(SYS_exit_group, 2);
    syscall(SYS_exit_group, 7);
  });
  ASSERT_TRUE(WIFEXITED(st)) << "signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 7);
  close(wake);
}

TEST(Seccomp, ReadOfAnotherFdThanTheWakeFdKills) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer builds allow reads of any fd (seccomp_policy.cpp)";
#endif
  int wake = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
  int other = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
  int st = in_child_with_wake_fd(wake, [other] {
    uint64_t v;
    syscall(SYS_read, other, &v, 8);
  });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
  close(wake);
  close(other);
}

TEST(Seccomp, PpollWithoutAChannelKills) {
  int st = in_confined_child([] {
    struct timespec ts = {0, 1000};
    syscall(SYS_ppoll, nullptr, 0, &ts, nullptr, 8);
  });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

TEST(Seccomp, AllowedCallsPass) {
  int st = in_confined_child([] {
    syscall(SYS_write, 2, "", 0);
    struct timespec ts = {0, 1000};
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, nullptr);
    void* p = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) syscall(SYS_exit_group, 1);
    static_cast<char*>(p)[0] = 1;
    munmap(p, 1 << 20);
    syscall(SYS_ioctl, 99, KVM_RUN, 0);  // allowed (EBADF)
    syscall(SYS_exit_group, 7);
  });
  ASSERT_TRUE(WIFEXITED(st)) << "signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 7);
}

}  // namespace

// The network device's I/O thread: started before the filter, confined by it
// (TSYNC), and allowed exactly its calls on its own descriptors.
namespace net_thread {

struct Fds {
  int tap[2], kick, wake, stop;
  Fds() {
    EXPECT_EQ(pipe(tap), 0);  // stands in for the TAP descriptor
    kick = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
    wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    stop = eventfd(0, EFD_CLOEXEC);
  }
  NetSeccompFds net() const { return {tap[1], kick, wake, stop}; }
};

std::atomic<int> g_step{0};

// In a child: a thread waits on `stop`, the policy is installed from the
// main thread, then the thread runs `body`. The child ends with status 7
// when body returns.
template <typename F>
int thread_under_policy(const Fds& fds, F body) {
  pid_t pid = fork();
  if (pid == 0) {
    static F* s_body = &body;
    static int s_stop = fds.stop;
    pthread_t t;
    pthread_create(&t, nullptr, [](void*) -> void* {
      g_step.store(1);  // glibc's thread start-up is done (see NetDevice::start)
      uint64_t v;
      syscall(SYS_read, s_stop, &v, 8);  // wait for the filter
      (*s_body)();
      g_step.store(2);
      return nullptr;
    }, nullptr);
    while (g_step.load() == 0) {
    }
    NetSeccompFds net = fds.net();
    auto rules = console_seccomp_rules();
    auto net_rules = net_seccomp_rules(net, fds.wake);
    rules.insert(rules.end(), net_rules.begin(), net_rules.end());
    if (!apply_seccomp_policy(-1, -1, fds.wake, rules).ok()) _exit(100);
    uint64_t one = 1;
    syscall(SYS_write, fds.stop, &one, 8);  // the main thread's stop write is allowed
    while (g_step.load() != 2) {
    }
    syscall(SYS_exit_group, 7);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

TEST(SeccompNetThread, ItsOwnCallsAreAllowed) {
  Fds fds;
  int st = thread_under_policy(fds, [&fds] {
    uint8_t frame[60] = {};
    struct iovec iov = {frame, sizeof frame};
    if (syscall(SYS_writev, fds.tap[1], &iov, 1) != 60) syscall(SYS_exit_group, 1);
    uint64_t v = 1;
    if (syscall(SYS_read, fds.kick, &v, 8) != 8) syscall(SYS_exit_group, 2);
    if (syscall(SYS_write, fds.wake, &v, 8) != 8) syscall(SYS_exit_group, 3);
    struct pollfd p[2] = {{fds.kick, POLLIN, 0}, {fds.wake, POLLIN, 0}};
    struct timespec ts = {0, 1000};
    if (syscall(SYS_ppoll, p, 2, &ts, nullptr, 8) < 0) syscall(SYS_exit_group, 4);
  });
  ASSERT_TRUE(WIFEXITED(st)) << "killed by signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 7);
}

TEST(SeccompNetThread, AThreadStartedBeforeTheFilterIsConfinedToo) {
  Fds fds;
  int st = thread_under_policy(fds, [] { syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0); });
  ASSERT_TRUE(WIFSIGNALED(st)) << "exit status " << WEXITSTATUS(st);
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

TEST(SeccompNetThread, WritingAnotherDescriptorKills) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer builds allow writes to any fd (seccomp_policy.cpp)";
#endif
  Fds fds;
  int st = thread_under_policy(fds, [&fds] {
    uint8_t b = 0;
    syscall(SYS_write, fds.tap[0] + 100, &b, 1);
  });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

}  // namespace net_thread
