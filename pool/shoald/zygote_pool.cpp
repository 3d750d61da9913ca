#include "zygote_pool.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shoal/vmm/zygote_wire.hpp>

#include "instance_runtime.hpp"
#include "time_points.hpp"

namespace shoal::pool {

namespace {

// A template answers after one clone; a busy machine may delay it (load 100+
// here: milliseconds), a hung template must not hold the loop for ever.
constexpr int kReplyTimeoutMs = 10000;

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

Result<void> send_request(int sock, uint32_t flags, const int* fds, int nfds) {
  zygote::Request req;
  req.flags = flags;
  iovec iov{&req, sizeof req};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * zygote::kMaxRequestFds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * static_cast<size_t>(nfds));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * static_cast<size_t>(nfds));
  memcpy(CMSG_DATA(c), fds, sizeof(int) * static_cast<size_t>(nfds));
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof req)) return errno_error("template monitor: sendmsg");
  return {};
}

// The reply and its pidfd (-1 if none came).
Result<zygote::Reply> receive_reply(int sock, int* pidfd) {
  *pidfd = -1;
  pollfd p{sock, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, kReplyTimeoutMs);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) return make_error("template monitor: no answer within " + std::to_string(kReplyTimeoutMs) + " ms");
  if (ready < 0) return errno_error("template monitor: poll");
  zygote::Reply r;
  iovec iov{&r, sizeof r};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("template monitor: recvmsg");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
      memcpy(pidfd, CMSG_DATA(c), sizeof(int));
  }
  if (n == 0) return make_error("template monitor: it closed its socket");
  if (n != static_cast<ssize_t>(sizeof r) || r.magic != zygote::kReplyMagic ||
      (r.pid > 0) != (*pidfd >= 0) || r.pid < 0) {
    close_fd(*pidfd);
    return make_error("template monitor: a malformed reply");
  }
  return r;
}

}  // namespace

ZygotePool::ZygotePool(EventLoop& loop, MonitorWatch& watch, DeathListener on_death)
    : m_loop(loop), m_watch(watch), m_on_death(std::move(on_death)) {}

ZygotePool::~ZygotePool() { clear_all(); }

pid_t ZygotePool::pid(uint32_t service) const {
  auto it = m_templates.find(service);
  return it == m_templates.end() ? -1 : it->second.process.pid;
}

Result<void> ZygotePool::spawn(uint32_t service, const std::string& vmm, const std::string& snapshot,
                               const std::vector<std::string>& options) {
  clear(service);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return errno_error("socketpair");
  MonitorLaunch launch;
  launch.program = vmm;
  launch.argv = {vmm, "--zygote-fd", std::to_string(sv[1])};
  launch.argv.insert(launch.argv.end(), options.begin(), options.end());
  launch.argv.push_back(snapshot);
  launch.inherit_fds = {sv[1]};
  launch.stdout_fd = m_watch.stdout_fd();
  launch.stderr_fd = m_watch.stderr_fd();
  auto proc = spawn_monitor(launch);
  close(sv[1]);  // the template has its copy
  if (!proc) {
    close(sv[0]);
    return proc.error();
  }
  Template& t = m_templates[service];
  t.process = proc.value();
  t.sock = sv[0];
  pid_t pid = t.process.pid;
  // Its output and exit by pid, as every monitor's (MonitorWatch): shoald
  // keeps only the request socket per template.
  m_watch.watch(
      pid,
      [this, service, pid](LogStream stream, std::string_view bytes) {
        auto it = m_templates.find(service);
        if (it != m_templates.end() && it->second.process.pid == pid) it->second.log.append(stream, bytes, wall_ns());
      },
      [this, service, pid](int status) { on_exit(service, pid, status); });
  return {};
}

Result<MonitorProcess> ZygotePool::start(uint32_t service, const Channel& channel, uint32_t flags, int start_fd) {
  auto it = m_templates.find(service);
  if (it == m_templates.end()) return make_error("no template monitor");
  Template& t = it->second;
  ChannelFdNumbers ch = channel.fds();
  // The instance writes to the console sockets every monitor shares; its
  // output is told apart by its pid (a child of shoald: CLONE_PARENT).
  int fds[zygote::kMaxRequestFds] = {m_watch.stdout_fd(), m_watch.stderr_fd(), ch.memfd, ch.to_host, ch.to_guest,
                                     start_fd};
  int nfds = zygote::kRequestFds;
  if (start_fd >= 0) {
    flags |= zygote::kFlagStartOnFd;
    ++nfds;
  }
  auto fail = [&](Error e) -> Result<MonitorProcess> {
    // A template that does not answer properly is not trusted again. Once it
    // is dead, a reply it sent late is in the socket: the instance it forked
    // would be nobody's (its channel is given up), so it is killed too and
    // reaped silently by the watch.
    int status = m_watch.kill_and_reap(t.process.pid);
    int late_pidfd = -1;
    pollfd none{t.sock, POLLIN, 0};
    if (poll(&none, 1, 0) == 1) {
      if (auto late = receive_reply(t.sock, &late_pidfd); late && late->pid > 0) {
        m_watch.forget(late->pid);
        m_watch.signal(late->pid, SIGKILL);
      }
      close_fd(late_pidfd);
    }
    // Reaped here: reported now (its exit status says why it did not
    // answer), and gone before the caller's next start.
    ended(it, status >= 0 ? describe_exit(status) : "ended");
    return e;
  };
  if (auto sent = send_request(t.sock, flags, fds, nfds); !sent) return fail(sent.error());
  int pidfd = -1;
  auto reply = receive_reply(t.sock, &pidfd);
  if (!reply) return fail(reply.error());
  close_fd(pidfd);  // exits are watched by pid: no descriptor per instance
  if (reply->pid == 0) {
    errno = reply->error;
    return errno_error("template monitor: clone");
  }
  MonitorProcess m;
  m.pid = reply->pid;
  return m;
}

void ZygotePool::on_exit(uint32_t service, pid_t pid, int status) {
  auto it = m_templates.find(service);
  if (it == m_templates.end() || it->second.process.pid != pid) return;
  ended(it, describe_exit(status));
}

void ZygotePool::ended(std::map<uint32_t, Template>::iterator it, std::string how) {
  uint32_t service = it->first;
  Template& t = it->second;
  t.log.flush(wall_ns());
  auto tail = t.log.tail(LogStream::err, 1);
  if (!tail.empty()) how += ": " + tail.back();
  t.process.pid = -1;  // reaped
  destroy(t, false);
  m_templates.erase(it);
  if (m_on_death) m_on_death(service, how);
}

void ZygotePool::destroy(Template& t, bool kill_it) {
  if (kill_it && t.process.pid > 0) m_watch.kill_and_reap(t.process.pid);
  close_fd(t.sock);
}

void ZygotePool::clear(uint32_t service) {
  auto it = m_templates.find(service);
  if (it == m_templates.end()) return;
  destroy(it->second, true);
  m_templates.erase(it);
}

void ZygotePool::clear_all() {
  for (auto& [service, t] : m_templates) destroy(t, true);
  m_templates.clear();
}

}  // namespace shoal::pool
