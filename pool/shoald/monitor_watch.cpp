#include "monitor_watch.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <vector>

namespace shoal::pool {

namespace {

// Bytes in flight from all monitors together before their writes block
// (the writing end is one socket shared by every monitor). Needs root
// (SO_SNDBUFFORCE); otherwise the default, ~200 KiB, which only means
// chatty monitors wait for shoald a little sooner.
constexpr int kSendBuffer = 4 << 20;
// Reads per readiness event, so that chatty monitors cannot starve the loop.
constexpr int kReadsPerEvent = 64;
// Bounds the last reads before a reap (a monitor that has exited writes
// nothing more; others may, and must not keep the reap waiting forever).
constexpr int kReadsBeforeReap = 4096;
constexpr uint64_t kBackstopNs = 1'000'000'000;

void close_pair(int (&fds)[2]) {
  for (int& fd : fds) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

Result<void> console_socket(int (&fds)[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return errno_error("socketpair");
  int one = 1;
  if (setsockopt(fds[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) return errno_error("SO_PASSCRED");
  if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) return errno_error("fcntl");
  // Monitors share the writing end's flags: it stays blocking, as a pipe
  // of their own was. Nobody reads from it: shut that way for good.
  shutdown(fds[1], SHUT_RD);
  int size = kSendBuffer;
  if (setsockopt(fds[1], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  return {};
}

pid_t parent_of(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  FILE* f = fopen(path, "re");
  if (!f) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields after the last ')' are read.
  char buf[512];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char* close_paren = nullptr;
  for (const char* p = buf; *p; ++p)
    if (*p == ')') close_paren = p;
  int ppid = 0;
  char state;
  if (!close_paren || sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2) return 0;
  return ppid;
}

}  // namespace

MonitorWatch::~MonitorWatch() {
  if (m_backstop) m_loop.cancel(m_backstop);
  for (int fd : {m_sigfd, m_out[0], m_err[0]})
    if (fd >= 0) m_loop.remove(fd);
  if (m_sigfd >= 0) close(m_sigfd);
  close_pair(m_out);
  close_pair(m_err);
}

Result<void> MonitorWatch::open() {
  if (is_open()) return {};
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  // shoald is single-threaded: the mask of its thread is the process's.
  // spawn_monitor() clears the mask in the child.
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return errno_error("sigprocmask");
  TRY(console_socket(m_out));
  TRY(console_socket(m_err));
  m_sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (m_sigfd < 0) return errno_error("signalfd");
  TRY(m_loop.add(m_sigfd, EPOLLIN, [this](uint32_t) {
    signalfd_siginfo si;
    while (read(m_sigfd, &si, sizeof si) == sizeof si) {
    }
    reap();
  }));
  arm_backstop();
  TRY(m_loop.add(m_out[0], EPOLLIN, [this](uint32_t) { drain(m_out[0], LogStream::out, kReadsPerEvent); }));
  TRY(m_loop.add(m_err[0], EPOLLIN, [this](uint32_t) { drain(m_err[0], LogStream::err, kReadsPerEvent); }));
  return {};
}

void MonitorWatch::arm_backstop() {
  // A SIGCHLD is lost if it goes to a thread that does not block it (one
  // created before open(), in a test): a look every second bounds that.
  m_backstop = m_loop.after(kBackstopNs, [this] {
    reap();
    arm_backstop();
  });
}

void MonitorWatch::watch(pid_t pid, OutputFn on_output, ExitFn on_exit) {
  Child& c = m_children[pid];
  c.on_output = std::move(on_output);
  c.on_exit = std::move(on_exit);
}

bool MonitorWatch::signal(pid_t pid, int sig) const {
  if (pid <= 0 || !m_children.count(pid)) return false;
  return kill(pid, sig) == 0;
}

int MonitorWatch::kill_and_reap(pid_t pid) {
  auto it = m_children.find(pid);
  if (pid <= 0 || it == m_children.end()) return -1;
  kill(pid, SIGKILL);
  siginfo_t si{};
  while (waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  drain_all();
  int status = -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  m_children.erase(pid);
  return status;
}

void MonitorWatch::poll() {
  drain(m_out[0], LogStream::out, kReadsPerEvent);
  drain(m_err[0], LogStream::err, kReadsPerEvent);
  reap();
}

void MonitorWatch::drain_all() {
  drain(m_out[0], LogStream::out, kReadsBeforeReap);
  drain(m_err[0], LogStream::err, kReadsBeforeReap);
}

void MonitorWatch::drain(int fd, LogStream stream, int max_reads) {
  if (fd < 0) return;
  static std::vector<char> buf(64 * 1024);
  for (int round = 0; round < max_reads; ++round) {
    iovec iov{buf.data(), buf.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: empty (EOF cannot happen: we hold the writing end)
    pid_t pid = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
        ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        pid = cred.pid;
      }
    }
    Child* child = writer(pid);
    if (!child || !child->on_output) continue;
    // A copy: the callback may watch or forget children (rehashing the map).
    OutputFn fn = child->on_output;
    fn(stream, std::string_view(buf.data(), static_cast<size_t>(n)));
  }
}

MonitorWatch::Child* MonitorWatch::writer(pid_t pid) {
  // A process the monitor forked (if it ever does) writes on the same
  // socket: its output belongs to the nearest watched ancestor.
  for (int depth = 0; depth < 8 && pid > 1; ++depth) {
    auto it = m_children.find(pid);
    if (it != m_children.end()) return &it->second;
    if (pid == getpid()) return nullptr;
    pid = parent_of(pid);
  }
  return nullptr;
}

void MonitorWatch::reap() {
  for (;;) {
    // Seen without reaping first: its pid must still read as its own while
    // the sockets are read one last time.
    siginfo_t si{};
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno == EINTR) continue;
      return;  // ECHILD: no children
    }
    pid_t pid = si.si_pid;
    if (pid == 0) return;  // children, none exited
    drain_all();
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) != pid) return;
    auto it = m_children.find(pid);
    if (it == m_children.end()) continue;  // not watched (forgotten long ago)
    ExitFn fn = std::move(it->second.on_exit);
    m_children.erase(it);
    if (fn) fn(status);
  }
}

}  // namespace shoal::pool
