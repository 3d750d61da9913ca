// The template monitor's request loop (vmm/src/zygote.hpp): malformed
// requests are refused with EINVAL and their descriptors closed, the loop
// goes on; a valid request forks a child that is the *launcher's* child
// (CLONE_PARENT), with a pidfd in the reply; the loop ends when the peer
// closes. The server runs in a forked helper process, so that the clone's
// CLONE_PARENT makes its children this test's.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>

#include "zygote.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::zygote;

// A forked child that served a request exits with this status.
constexpr int kChildStatus = 42;

struct Server {
  int sock = -1;    // the test's end
  pid_t pid = -1;   // the helper serving the other end
};

Server start_server() {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  pid_t launcher = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    auto r = serve_zygote(sv[1], launcher);
    if (!r) _exit(3);
    if (!r.value()) _exit(0);  // the peer closed: the template's end
    // A forked instance: its request must be the one sent.
    const ZygoteRequest& req = *r.value();
    bool ok = req.flags == kFlagKsm && req.start_fd < 0 && fcntl(req.channel[0], F_GETFD) >= 0 &&
              fcntl(req.channel[2], F_GETFD) >= 0;
    _exit(ok ? kChildStatus : 4);
  }
  close(sv[1]);
  return {sv[0], pid};
}

void send(int sock, const void* data, size_t len, const std::vector<int>& fds) {
  iovec iov{const_cast<void*>(data), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ASSERT_EQ(sendmsg(sock, &msg, 0), static_cast<ssize_t>(len));
}

Reply receive(int sock, int* pidfd) {
  Reply r{};
  iovec iov{&r, sizeof r};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  *pidfd = -1;
  EXPECT_EQ(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC), static_cast<ssize_t>(sizeof r));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_type == SCM_RIGHTS) memcpy(pidfd, CMSG_DATA(c), sizeof(int));
  return r;
}

// n descriptors the request can carry (pipe ends); all closed by the caller.
std::vector<int> some_fds(int n) {
  std::vector<int> fds;
  while (static_cast<int>(fds.size()) < n) {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    fds.push_back(p[0]);
    fds.push_back(p[1]);
  }
  fds.resize(static_cast<size_t>(n));
  return fds;
}

TEST(Zygote, MalformedRequestsAreRefusedAndTheLoopGoesOn) {
  Server s = start_server();
  auto fds = some_fds(kMaxRequestFds + 1);
  struct Case {
    const char* what;
    Request req;
    size_t len;
    int nfds;
  };
  Request good;
  good.flags = kFlagKsm;
  Request bad_magic = good;
  bad_magic.magic = 0x12345678;
  Request bad_flags = good;
  bad_flags.flags = 1u << 30;
  Request wants_start = good;
  wants_start.flags |= kFlagStartOnFd;
  const Case cases[] = {
      {"wrong magic", bad_magic, sizeof(Request), kRequestFds},
      {"unknown flag", bad_flags, sizeof(Request), kRequestFds},
      {"too few descriptors", good, sizeof(Request), kRequestFds - 1},
      {"too many descriptors", good, sizeof(Request), kRequestFds + 1},
      {"no start descriptor with kFlagStartOnFd", wants_start, sizeof(Request), kRequestFds},
      {"short message", good, 4, kRequestFds},
      {"no descriptors", good, sizeof(Request), 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    send(s.sock, &c.req, c.len, std::vector<int>(fds.begin(), fds.begin() + c.nfds));
    int pidfd;
    Reply r = receive(s.sock, &pidfd);
    EXPECT_EQ(r.magic, kReplyMagic);
    EXPECT_EQ(r.pid, 0);
    EXPECT_EQ(r.error, EINVAL);
    EXPECT_EQ(pidfd, -1);
  }
  // Still serving: a valid request forks a child, which is ours (CLONE_PARENT).
  send(s.sock, &good, sizeof good, std::vector<int>(fds.begin(), fds.begin() + kRequestFds));
  int pidfd;
  Reply r = receive(s.sock, &pidfd);
  ASSERT_GT(r.pid, 0);
  EXPECT_GE(pidfd, 0);
  int status = 0;
  ASSERT_EQ(waitpid(r.pid, &status, 0), r.pid) << "the forked child is not the launcher's: " << strerror(errno);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kChildStatus);
  if (pidfd >= 0) close(pidfd);
  // The peer closes: the template ends with no child.
  close(s.sock);
  ASSERT_EQ(waitpid(s.pid, &status, 0), s.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  for (int fd : fds) close(fd);
}

}  // namespace
}  // namespace shoal::vmm
