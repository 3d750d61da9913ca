// bench/starts: how fast an instance of a snapshot comes into existence, by
// each way shoald can start one, against a native process, in the same run.
//
//   starts BUILD_DIR [--rounds N] [--batch B]
//
// One snapshot of examples/shop/hello (made here with the pool's channel, as
// shoald makes it). Each round starts one instance by each way, interleaved,
// and times from the start to (a) the guest listening on its channel and (b)
// the complete response to `GET /` sent over the channel as soon as it
// listens — the part of a request to a pool at zero that is the start:
//   spawn              shoal-vmm --channel ... FILE.snap (vfork + exec, as
//                      shoald without a template: `shoald --no-zygote`);
//   template           one message to a template monitor (shoal-vmm
//                      --zygote-fd), which forks the instance's monitor (as
//                      shoald does by default);
//   native             fork + exec of the native hello, timed to its answer
//                      to `GET /` over TCP on loopback.
// Then B instances (default 200) are started back to back by each way and
// the time until all of them listen gives starts per second.
//
// Every process it starts is killed and reaped before it exits.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "event_loop.hpp"
#include "monitor_process.hpp"
#include "monitor_watch.hpp"
#include "pool/channel/channel.hpp"
#include "zygote_pool.hpp"

using namespace shoal::pool;

namespace {

constexpr uint16_t kPort = 8080;
constexpr uint64_t kTimeoutNs = 10'000'000'000ull;

uint64_t now_ns() { return EventLoop::now_ns(); }

// The console sockets the templates' instances write to (as shoald's); read
// and dropped after each instance. Spawned monitors write to /dev/null.
MonitorWatch* g_watch = nullptr;
int g_devnull = -1;

[[noreturn]] void die(const std::string& why) {
  fprintf(stderr, "starts: %s\n", why.c_str());
  exit(1);
}

struct Started {
  MonitorProcess process;
  std::unique_ptr<Channel> channel;
};

void stop(Started& s) {
  if (s.process.pid > 0) {
    kill(s.process.pid, SIGKILL);
    waitpid(s.process.pid, nullptr, 0);
  }
  if (g_watch) g_watch->poll();  // drains the console sockets
  s.process = {};
  s.channel.reset();
}

ChannelConfig channel_config() {
  ChannelConfig cc;
  cc.slot_count = 8;
  cc.services.push_back({"hello", htonl(0x7f000001)});
  return cc;
}

bool wait_listening(const Channel& ch, uint64_t t0) {
  while (!ch.listening(kPort)) {
    if (now_ns() - t0 > kTimeoutNs) return false;
    usleep(20);
  }
  return true;
}

// GET / over the channel; true once the whole response (the server closes) came.
bool get_over_channel(Channel& ch, uint64_t t0) {
  auto slot = ch.open(kPort, htonl(0x7f000001), 1);
  if (!slot) return false;
  std::string req = "GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n";
  (void)ch.write(*slot, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(req.data()), req.size()));
  ch.flush();
  std::vector<uint32_t> events;
  uint8_t buf[4096];
  size_t got = 0;
  for (;;) {
    ch.collect(events);
    auto r = ch.read(*slot, buf);
    if (!r) return false;
    got += r->bytes;
    if (r->eof) break;
    ch.flush();
    if (now_ns() - t0 > kTimeoutNs) return false;
    if (r->bytes == 0) usleep(20);
  }
  ch.close(*slot);
  ch.flush();
  return got > 0;
}

Started spawn_one(const std::string& vmm, const std::string& snap) {
  Started s;
  auto ch = Channel::create(channel_config());
  if (!ch) die(ch.error().message);
  MonitorLaunch launch;
  launch.program = vmm;
  launch.argv = {vmm, "--channel", ch->vmm_argument(), snap};
  ChannelFdNumbers fds = ch->fds();
  launch.inherit_fds = {fds.memfd, fds.to_host, fds.to_guest};
  launch.stdout_fd = launch.stderr_fd = g_devnull;
  auto p = spawn_monitor(launch);
  if (!p) die(p.error().message);
  ch->drop_memfd();
  s.process = p.value();
  s.channel = std::make_unique<Channel>(std::move(ch.value()));
  return s;
}

Started fork_one(ZygotePool& z, uint32_t which) {
  Started s;
  auto ch = Channel::create(channel_config());
  if (!ch) die(ch.error().message);
  auto p = z.start(which, ch.value(), 0);
  if (!p) die("template: " + p.error().message);
  ch->drop_memfd();
  s.process = p.value();
  s.channel = std::make_unique<Channel>(std::move(ch.value()));
  return s;
}

// Native: fork + exec hello on a port; then connect until it answers.
pid_t native_spawn(const std::string& hello, uint16_t port) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::string env_port = "PORT=" + std::to_string(port);
    char* envp[] = {env_port.data(), nullptr};
    char* argv[] = {const_cast<char*>(hello.c_str()), nullptr};
    execve(hello.c_str(), argv, envp);
    _exit(127);
  }
  return pid;
}

void native_answer(uint16_t port, uint64_t t0) {
  for (;;) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      std::string req = "GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n";
      (void)!write(fd, req.data(), req.size());
      char buf[4096];
      while (read(fd, buf, sizeof buf) > 0) {
      }
      close(fd);
      return;
    }
    close(fd);
    if (now_ns() - t0 > kTimeoutNs) die("native hello never answered");
    usleep(20);
  }
}

uint16_t free_port() {
  // Distinct over the run: the kernel may hand the same ephemeral port twice.
  static std::vector<uint16_t> given;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000001);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  uint16_t port = ntohs(a.sin_port);
  if (std::find(given.begin(), given.end(), port) != given.end()) return free_port();
  given.push_back(port);
  return port;
}

void report(const char* what, std::vector<double> listen_us, std::vector<double> answer_us, double native_med) {
  double a = shoal::bench::median(answer_us);
  if (listen_us.empty())
    printf("  %-40s first response median %7.2f ms\n", what, a / 1e3);
  else
    printf("  %-40s listening median %6.2f ms  first response median %6.2f ms  %5.2fx native\n", what,
           shoal::bench::median(listen_us) / 1e3, a / 1e3, a / native_med);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: starts BUILD_DIR [--rounds N] [--batch B]");
  std::string build = argv[1];
  int rounds = 20, batch = 200;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rounds") rounds = atoi(argv[i + 1]);
    else if (a == "--batch") batch = atoi(argv[i + 1]);
    else die("unknown option " + a);
  }
  signal(SIGPIPE, SIG_IGN);
  g_devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (g_devnull < 0) die("/dev/null: " + std::string(strerror(errno)));
  std::string vmm = build + "/bin/shoal-vmm";
  std::string image = build + "/examples/shop/hello.shoal";
  std::string hello = build + "/examples/shop/hello";
  char dir_tmpl[] = "/tmp/shoal-starts-XXXXXX";
  std::string dir = mkdtemp(dir_tmpl);
  std::string snap = dir + "/hello.snap";

  // The snapshot, made as shoald makes it (a boot that saves at its ready point).
  {
    auto ch = Channel::create(channel_config());
    if (!ch) die(ch.error().message);
    MonitorLaunch launch;
    launch.program = vmm;
    launch.argv = {vmm, "--channel", ch->vmm_argument(), "--memory", "32M", "--env", "PORT=8080",
                   "--snapshot-out", snap, "--snapshot-then", "exit", "--ready", "port:8080", image};
    ChannelFdNumbers fds = ch->fds();
    launch.inherit_fds = {fds.memfd, fds.to_host, fds.to_guest};
    launch.stdout_fd = launch.stderr_fd = 2;
    auto p = spawn_monitor(launch);
    if (!p) die(p.error().message);
    int status = 0;
    waitpid(p->pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("making the snapshot failed");
  }

  auto loop = EventLoop::create();
  if (!loop) die(loop.error().message);
  MonitorWatch watch(*loop.value());
  if (auto r = watch.open(); !r) die(r.error().message);
  g_watch = &watch;
  ZygotePool templates(*loop.value(), watch, [](uint32_t, const std::string& how) { die("a template ended: " + how); });
  if (auto r = templates.spawn(0, vmm, snap); !r) die(r.error().message);

  FILE* la = fopen("/proc/loadavg", "r");
  char load[64] = "?";
  if (la) {
    if (!fgets(load, sizeof load, la)) load[0] = 0;
    fclose(la);
  }
  printf("starts: hello snapshot, %d rounds, batch %d, load %s", rounds, batch, load);

  struct Way {
    const char* name;
    std::function<Started()> start;
    std::vector<double> listen_us, answer_us, second_us;
  };
  std::vector<Way> ways = {
      {"spawn (shoal-vmm exec)", [&] { return spawn_one(vmm, snap); }, {}, {}, {}},
      {"template fork", [&] { return fork_one(templates, 0); }, {}, {}, {}},
  };
  std::vector<double> native_us;
  for (int r = -2; r < rounds; ++r) {  // two warm-up rounds
    for (auto& w : ways) {
      uint64_t t0 = now_ns();
      Started s = w.start();
      if (!wait_listening(*s.channel, t0)) die(std::string(w.name) + ": never listened");
      uint64_t t1 = now_ns();
      if (!get_over_channel(*s.channel, t0)) die(std::string(w.name) + ": no response");
      uint64_t t2 = now_ns();
      if (!get_over_channel(*s.channel, t2)) die(std::string(w.name) + ": no second response");
      if (r >= 0) w.second_us.push_back(static_cast<double>(now_ns() - t2) / 1e3);
      if (r >= 0) {
        w.listen_us.push_back(static_cast<double>(t1 - t0) / 1e3);
        w.answer_us.push_back(static_cast<double>(t2 - t0) / 1e3);
      }
      stop(s);
    }
    uint16_t port = free_port();
    uint64_t t0 = now_ns();
    pid_t pid = native_spawn(hello, port);
    native_answer(port, t0);
    double us = static_cast<double>(now_ns() - t0) / 1e3;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    if (r >= 0) native_us.push_back(us);
  }
  double native_med = shoal::bench::median(native_us);
  printf("start -> listening, and start -> complete response to GET / (the first request of the instance):\n");
  report("native hello: exec -> response", {}, native_us, native_med);
  for (auto& w : ways) report(w.name, w.listen_us, w.answer_us, native_med);
  printf("the instance's second request (GET / again, once the first was answered):\n");
  for (auto& w : ways) printf("  %-40s median %6.2f ms\n", w.name, shoal::bench::median(w.second_us) / 1e3);

  printf("%d started back to back, until all listen:\n", batch);
  double native_rate = 0;
  {
    std::vector<uint16_t> ports;
    for (int i = 0; i < batch; ++i) ports.push_back(free_port());
    uint64_t t0 = now_ns();
    std::vector<pid_t> pids;
    for (int i = 0; i < batch; ++i) pids.push_back(native_spawn(hello, ports[static_cast<size_t>(i)]));
    for (uint16_t port : ports) native_answer(port, t0);
    double s = static_cast<double>(now_ns() - t0) / 1e9;
    native_rate = batch / s;
    for (pid_t pid : pids) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    printf("  %-40s %7.0f starts/s (until each answered GET /)\n", "native hello (fork + exec)", native_rate);
  }
  for (auto& w : ways) {
    std::vector<Started> all;
    uint64_t t0 = now_ns();
    for (int i = 0; i < batch; ++i) all.push_back(w.start());
    for (auto& s : all)
      if (!wait_listening(*s.channel, t0)) die(std::string(w.name) + ": never listened");
    double s = static_cast<double>(now_ns() - t0) / 1e9;
    printf("  %-40s %7.0f starts/s  %5.2fx native\n", w.name, batch / s, batch / s / native_rate);
    for (auto& st : all) stop(st);
  }
  templates.clear_all();
  unlink(snap.c_str());
  rmdir(dir.c_str());
  return 0;
}
