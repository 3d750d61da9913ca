#include "zygote.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace shoal::vmm {
namespace {

using namespace shoal::zygote;

// The kernel's struct clone_args, version 0 (CLONE_ARGS_SIZE_VER0 = 64):
// spelled out rather than taken from <linux/sched.h>, which clashes with glibc's.
struct CloneArgs {
  uint64_t flags = 0;
  uint64_t pidfd = 0;
  uint64_t child_tid = 0;
  uint64_t parent_tid = 0;
  uint64_t exit_signal = 0;
  uint64_t stack = 0;
  uint64_t stack_size = 0;
  uint64_t tls = 0;
};
static_assert(sizeof(CloneArgs) == 64);

void close_all(const int* fds, int n) {
  for (int i = 0; i < n; ++i)
    if (fds[i] >= 0) close(fds[i]);
}

// One reply; the pidfd rides along when there is one. A failed send (shoald
// gone) is not the template's problem: its next recvmsg sees the end.
void send_reply(int sock, int32_t pid, int32_t error, int pidfd) {
  Reply r;
  r.pid = pid;
  r.error = error;
  iovec iov{&r, sizeof r};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (pidfd >= 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pidfd, sizeof(int));
  }
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
}

// The child's side, right after the clone: parent-death signal (shoald's
// death kills it, as for a monitor shoald spawned itself), stdout and stderr.
void become_instance(int sock, pid_t launcher, int* fds) {
  close(sock);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != launcher) _exit(1);
  if (dup2(fds[0], 1) < 0 || dup2(fds[1], 2) < 0) _exit(1);
  close(fds[0]);
  close(fds[1]);
  fds[0] = fds[1] = -1;
}

}  // namespace

Result<std::optional<ZygoteRequest>> serve_zygote(int sock, pid_t launcher) {
  for (;;) {
    Request req;
    iovec iov{&req, sizeof req};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxRequestFds)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("--zygote-fd: recvmsg");
    // Whatever descriptors came, collected first, so that every refusal below
    // closes them.
    int fds[kMaxRequestFds];
    int nfds = 0;
    bool extra = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (nfds < kMaxRequestFds) {
          fds[nfds++] = fd;
        } else {
          close(fd);
          extra = true;
        }
      }
    }
    if (n == 0) {  // shoald closed its end: no more instances
      close_all(fds, nfds);
      return std::optional<ZygoteRequest>();
    }
    int wanted = kRequestFds + ((req.flags & kFlagStartOnFd) ? 1 : 0);
    if (static_cast<size_t>(n) != sizeof req || req.magic != kRequestMagic || (req.flags & ~kKnownFlags) != 0 ||
        (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || extra || nfds != wanted) {
      close_all(fds, nfds);
      send_reply(sock, 0, EINVAL, -1);
      continue;
    }
    int pidfd = -1;
    CloneArgs args;
    // CLONE_PARENT: shoald's child. exit_signal must be 0 with it (the
    // template's own, SIGCHLD, is used).
    args.flags = CLONE_PARENT | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
      become_instance(sock, launcher, fds);
      ZygoteRequest out;
      out.flags = req.flags;
      for (int i = 0; i < 3; ++i) out.channel[i] = fds[2 + i];
      if (req.flags & kFlagStartOnFd) out.start_fd = fds[5];
      return std::optional<ZygoteRequest>(out);
    }
    int err = pid < 0 ? errno : 0;
    close_all(fds, nfds);
    send_reply(sock, pid > 0 ? static_cast<int32_t>(pid) : 0, err, pidfd);
    if (pidfd >= 0) close(pidfd);
  }
}

}  // namespace shoal::vmm
