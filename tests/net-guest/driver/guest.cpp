#include "guest.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace shoal::nettest {

void fail(const std::string& message) {
  fprintf(stderr, "FAIL: %s\n", message.c_str());
  fflush(stdout);
  exit(1);
}

void expect(bool ok, const std::string& message) {
  if (!ok) fail(message);
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

namespace {

int run(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string build_image(const std::string& shoal, const std::string& program, const std::string& dir,
                        const std::vector<std::string>& flags) {
  std::string name = program.substr(program.rfind('/') + 1);
  std::string image = dir + "/" + name + ".shoal";
  std::vector<std::string> argv = {shoal, "build", program, "-o", image};
  argv.insert(argv.end(), flags.begin(), flags.end());
  int rc = run(argv);
  expect(rc == 0, "shoal build " + program + " exited with " + std::to_string(rc));
  return image;
}

pool::Channel make_channel(const pool::ChannelConfig& config) {
  auto ch = pool::Channel::create(config);
  if (!ch) fail("Channel::create: " + ch.error().message);
  return std::move(ch).value();
}

Guest::Guest(const GuestOptions& o) : m_channel(make_channel(o.channel)) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) fail("pipe2");
  std::vector<std::string> argv = {
      o.vmm, "--timeout", std::to_string(o.timeout_s), "--channel", m_channel.vmm_argument(), o.image, "--"};
  if (o.cpu >= 0) argv.insert(argv.begin() + 1, {"--cpu", std::to_string(o.cpu)});
  argv.insert(argv.end(), o.args.begin(), o.args.end());
  m_pid = fork();
  if (m_pid < 0) fail("fork");
  if (m_pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (!m_channel.clear_cloexec()) _exit(126);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  m_out_fd = out[0];
  m_err_fd = err[0];
  fcntl(m_out_fd, F_SETFL, O_NONBLOCK);
  fcntl(m_err_fd, F_SETFL, O_NONBLOCK);
  void* region =
      mmap(nullptr, m_channel.region_size(), PROT_READ | PROT_WRITE, MAP_SHARED, m_channel.fds().memfd, 0);
  if (region == MAP_FAILED) fail("mmap of the channel region");
  m_region = static_cast<uint8_t*>(region);
  m_channel.drop_memfd();
  m_epoll = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {m_channel.to_host_fd(), m_out_fd, m_err_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev);
  }
}

Guest::~Guest() {
  if (m_pid > 0 && !exited()) {
    kill(m_pid, SIGKILL);
    waitpid(m_pid, nullptr, 0);
  }
  if (m_region != nullptr) munmap(m_region, m_channel.region_size());
  if (m_epoll >= 0) close(m_epoll);
  if (m_out_fd >= 0) close(m_out_fd);
  if (m_err_fd >= 0) close(m_err_fd);
}

void Guest::drain_output() {
  char buf[4096];
  for (int fd : {m_out_fd, m_err_fd}) {
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      (fd == m_out_fd ? m_out : m_err).append(buf, size_t(n));
    }
  }
}

void Guest::pump(int timeout_ms) {
  drain_output();
  m_channel.flush();
  if (timeout_ms > 0 && !m_channel.prepare_sleep()) {
    epoll_event evs[4];
    epoll_wait(m_epoll, evs, 4, timeout_ms);
  }
  m_channel.finish_sleep();
  drain_output();
}

bool Guest::wait_output(const std::string& text, int timeout_ms) {
  return wait_for([&] { return m_out.find(text) != std::string::npos; }, timeout_ms);
}

bool Guest::exited() {
  if (m_status >= 0) return true;
  int status = 0;
  if (waitpid(m_pid, &status, WNOHANG) != m_pid) return false;
  m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  drain_output();
  return true;
}

int Guest::wait_exit(int timeout_ms) {
  uint64_t end = now_ns() + uint64_t(timeout_ms) * 1000000;
  while (!exited()) {
    if (now_ns() > end) return -1;
    pump(5);
  }
  drain_output();
  return m_status;
}

uint32_t Guest::connect(uint16_t port, uint32_t peer_ipv4, uint16_t peer_port) {
  auto slot = m_channel.open(port, peer_ipv4, peer_port);
  if (!slot) fail("open port " + std::to_string(port) + ": " + slot.error().message);
  uint32_t s = slot.value();
  bool answered = wait_for([&] { return m_channel.status(s).state != pool::ConnState::connecting; }, 10000);
  expect(answered, "the guest did not answer a connection to port " + std::to_string(port));
  expect(m_channel.status(s).state == pool::ConnState::open,
         "connection to port " + std::to_string(port) + " was not accepted");
  return s;
}

std::string Guest::exchange(uint32_t slot, const std::string& data, bool shut, int timeout_ms) {
  std::string got;
  size_t sent = 0;
  bool shut_done = !shut;
  uint64_t end = now_ns() + uint64_t(timeout_ms) * 1000000;
  std::vector<uint8_t> buf(65536);
  for (;;) {
    bool progress = false;
    if (sent < data.size()) {
      auto n =
          m_channel.write(slot, {reinterpret_cast<const uint8_t*>(data.data()) + sent, data.size() - sent});
      if (!n) fail("exchange write: " + n.error().message);
      sent += n.value();
      progress |= n.value() > 0;
    }
    if (sent == data.size() && !shut_done) {
      auto r = m_channel.shutdown_write(slot);
      if (!r) fail("shutdown_write: " + r.error().message);
      shut_done = true;
    }
    auto r = m_channel.read(slot, buf);
    if (!r) fail("exchange read: " + r.error().message);
    got.append(reinterpret_cast<const char*>(buf.data()), r.value().bytes);
    progress |= r.value().bytes > 0;
    if (r.value().eof) return got;
    if (!shut && sent == data.size() && got.size() >= data.size()) return got;
    if (now_ns() > end)
      fail("exchange timed out: sent " + std::to_string(sent) + " got " + std::to_string(got.size()));
    pump(progress ? 0 : 1);
  }
}

std::string Guest::read_n(uint32_t slot, size_t n, int timeout_ms) {
  std::string got;
  std::vector<uint8_t> buf(65536);
  uint64_t end = now_ns() + uint64_t(timeout_ms) * 1000000;
  while (got.size() < n) {
    auto r = m_channel.read(slot, {buf.data(), std::min(buf.size(), n - got.size())});
    if (!r) fail("read: " + r.error().message);
    got.append(reinterpret_cast<const char*>(buf.data()), r.value().bytes);
    if (r.value().eof) break;
    if (now_ns() > end) break;
    if (r.value().bytes == 0) pump(1);
  }
  return got;
}

void Guest::write_all(uint32_t slot, const std::string& data, int timeout_ms) {
  size_t sent = 0;
  uint64_t end = now_ns() + uint64_t(timeout_ms) * 1000000;
  while (sent < data.size()) {
    auto n =
        m_channel.write(slot, {reinterpret_cast<const uint8_t*>(data.data()) + sent, data.size() - sent});
    if (!n) fail("write: " + n.error().message);
    sent += n.value();
    if (now_ns() > end) fail("write_all timed out");
    pump(n.value() > 0 ? 0 : 1);
  }
  m_channel.flush();
}

}  // namespace shoal::nettest
