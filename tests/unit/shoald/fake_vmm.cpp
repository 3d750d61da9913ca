// fake_vmm: stands in for shoal-vmm in shoald's tests, so the supervisor,
// the channel handling and the gateway can be tested without KVM.
//
// It accepts shoal-vmm's command line (--channel M,H,G, --memory, --env K=V,
// IMAGE, -- ARGS), maps the channel memfd and plays the guest with the same
// channel_ops.h the LibOS uses: registers its PORT in the listen table,
// accepts host-opened connections and answers HTTP/1.1 (keep-alive,
// Content-Length). It sleeps like a guest (announce guest_sleeping, re-check,
// wait on TO_GUEST_FD) and kicks the host through TO_HOST_FD when the host
// announced sleep, so notification suppression is exercised for real.
//
// Snapshots, as the contract of issue 13 has shoal-vmm do them, with a file
// whose vCPU blob is its environment (one K=V a line):
//   --snapshot-out FILE [--snapshot-then run|exit] [--ready listen|port:N]
//                  once listening (on N, when given), creates FILE, writes
//                  its header last, and goes on serving (run) or exits 0;
//   FILE           (a positional argument starting with the magic) resumes:
//                  the environment from the file, listening at once; a file
//                  with a damaged magic or body: "not a valid snapshot", exit 1;
//   --start-on-fd N  waits until N is readable or closed before it starts.
//
// Behaviour, from the --env variables (the spec's env):
//   FAKE_START_DELAY_MS=N   wait before listening
//   FAKE_NEVER_LISTEN=1     never listen (start timeout)
//   FAKE_EXIT_AT_START=N    print a crash report to stderr, exit N at once
//   FAKE_IGNORE_TERM=1      ignore SIGTERM (a guest that does not stop)
//   FAKE_NO_SAVE=1          never reach the ready point (no snapshot saved)
// and from request paths:
//   /healthz       200 "ok", or 503 after /fail-health (until /heal)
//   /crash         a "crash report" on stderr, then exit 139
//   /slow/N        answer after N ms
//   anything else  200 "hello from SERVICE/INDEX pid PID path PATH"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <span>
#include <string>
#include <vector>

#include <shoal/abi/channel.h>
#include <shoal/abi/channel_ops.h>
#include <shoal/abi/layout.h>
#include <shoal/image/snapshot.hpp>

using namespace shoal::abi;

namespace {

uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

struct Conn {
  std::string in;
  std::string out;
  uint64_t send_at = 0;     // a /slow answer waits until then
  std::string delayed;      // the answer it will send
  bool close_after = false; // "Connection: close" seen: shut write once out is sent
  bool shut = false;
};

std::map<std::string, std::string> g_env;
ChannelView g_view;
ChannelHeader* g_header = nullptr;
int g_to_host = -1, g_to_guest = -1;
uint32_t g_port = 8080;
bool g_health_fail = false;
std::map<uint32_t, Conn> g_conns;
uint32_t g_seen_host_events = 0;

std::string env(const std::string& k, const std::string& fallback = "") {
  auto it = g_env.find(k);
  return it == g_env.end() ? fallback : it->second;
}

void kick_host() {
  channel_bump_events(g_header, kSideGuest);
  if (channel_take_kick(g_header, kSideHost)) {
    uint64_t one = 1;
    (void)!write(g_to_host, &one, sizeof one);
  }
}

std::string answer(int status, const std::string& body, bool close) {
  const char* reason = status == 200 ? "OK" : status == 503 ? "Service Unavailable" : "Error";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n" + body;
}

// Takes complete requests off c.in and queues their answers.
void serve(Conn& c) {
  while (c.delayed.empty()) {
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string head = c.in.substr(0, end);
    size_t body_len = 0;
    for (const char* name : {"Content-Length:", "content-length:"}) {
      size_t at = head.find(name);
      if (at != std::string::npos) body_len = strtoul(head.c_str() + at + strlen(name), nullptr, 10);
    }
    if (c.in.size() < end + 4 + body_len) return;
    c.in.erase(0, end + 4 + body_len);
    bool close = head.find("Connection: close") != std::string::npos ||
                 head.find("connection: close") != std::string::npos;
    size_t sp1 = head.find(' ');
    size_t sp2 = head.find(' ', sp1 + 1);
    std::string path = sp1 == std::string::npos ? "/" : head.substr(sp1 + 1, sp2 - sp1 - 1);
    if (path == "/healthz") {
      c.out += answer(g_health_fail ? 503 : 200, g_health_fail ? "failing\n" : "ok\n", close);
    } else if (path == "/fail-health") {
      g_health_fail = true;
      c.out += answer(200, "health now failing\n", close);
    } else if (path == "/heal") {
      g_health_fail = false;
      c.out += answer(200, "health ok\n", close);
    } else if (path == "/crash") {
      fprintf(stderr, "fake guest: crash requested\nfake guest: backtrace: main+42\n");
      fflush(stderr);
      _exit(139);
    } else if (path.rfind("/slow/", 0) == 0) {
      c.send_at = now_ms() + strtoul(path.c_str() + 6, nullptr, 10);
      c.delayed = answer(200, "slow answer\n", close);
    } else {
      c.out += answer(200,
                      "hello from " + env("SHOAL_SERVICE", "?") + "/" + env("SHOAL_INSTANCE", "?") + " pid " +
                          std::to_string(getpid()) + " path " + path + "\n",
                      close);
    }
    if (close) {
      c.close_after = true;
      return;
    }
  }
}

// One pass over the host-opened slots; true if anything happened.
bool poll_slots() {
  bool work = false;
  uint64_t now = now_ms();
  for (uint32_t slot = channel_host_slots_begin(&g_view); slot < channel_host_slots_end(&g_view); ++slot) {
    ChannelEnd e = channel_end(&g_view, slot, kSideGuest);
    if (!e.valid) continue;
    uint32_t state = slot_state(e.slot);
    auto it = g_conns.find(slot);
    if (it == g_conns.end()) {
      if (state != kSlotConnecting) continue;
      uint32_t port = __atomic_load_n(&e.slot->port, __ATOMIC_ACQUIRE);
      if (port == g_port && channel_listening(g_header, g_port)) {
        if (slot_accept(e.slot)) g_conns[slot] = Conn{};
      } else {
        slot_refuse(e.slot);
      }
      work = true;
      continue;
    }
    Conn& c = it->second;
    uint32_t host_flags = slot_flags(e.slot, kSideHost);
    uint32_t released = slot_released(e.slot);
    if ((host_flags & kReset) || (released & kReleasedHost) || state != kSlotOpen) {
      slot_release(e.slot, kSideGuest);
      g_conns.erase(it);
      work = true;
      continue;
    }
    char buf[4096];
    int64_t n;
    while ((n = ring_read(e.rx, e.rx_data, e.ring_size, buf, sizeof buf)) > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      work = true;
    }
    if (!c.delayed.empty() && now >= c.send_at) {
      c.out += c.delayed;
      c.delayed.clear();
      work = true;
    }
    serve(c);
    if (!c.out.empty()) {
      int64_t w = ring_write(e.tx, e.tx_data, e.ring_size, c.out.data(), c.out.size());
      if (w > 0) {
        c.out.erase(0, static_cast<size_t>(w));
        work = true;
      }
    }
    bool host_shut = host_flags & kShutWrite;
    if (c.out.empty() && c.delayed.empty() && !c.shut && (c.close_after || (host_shut && c.in.empty()))) {
      slot_set_flags(e.slot, kSideGuest, kShutWrite);
      c.shut = true;
      work = true;
    }
  }
  return work;
}

// The snapshot is a real .snap (image/snapshot.hpp: header, tables, one
// page of data), so that shoald's checks of it are the real ones; the vCPU
// blob, opaque to everyone but the monitor, holds the environment.
bool read_snapshot(const std::string& path, bool& is_snapshot) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) return is_snapshot = false;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  fclose(f);
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  // Like shoal-vmm, a snapshot is told from an image by its magic; a ".snap"
  // whose magic is damaged is a snapshot that does not load.
  is_snapshot = shoal::image::is_snapshot_magic(bytes) ||
                (path.size() > 5 && path.substr(path.size() - 5) == ".snap");
  if (!is_snapshot) return false;
  auto snap = shoal::image::parse_snapshot(bytes);
  if (!snap) return false;
  // Stricter than the header check: bytes after the data are refused too
  // (the tests' stand-in for what only the monitor can see: another build's
  // vCPU layout, a CPU variant this host lacks).
  if (text.size() != snap->header.data_offset + snap->header.data_size) return false;
  std::string env(snap->vcpu.begin(), snap->vcpu.end());
  size_t at = 0;
  while (at < env.size()) {
    size_t nl = env.find('\n', at);
    if (nl == std::string::npos) return false;
    std::string kv = env.substr(at, nl - at);
    size_t eq = kv.find('=');
    if (eq == std::string::npos) return false;
    g_env[kv.substr(0, eq)] = kv.substr(eq + 1);
    at = nl + 1;
  }
  return true;
}

bool write_snapshot(const std::string& path) {
  shoal::image::Snapshot snap;
  auto& h = snap.header;
  snprintf(h.build_id, sizeof h.build_id, "fake_vmm");
  snprintf(h.image_name, sizeof h.image_name, "fake");
  // Fields the reader checks as the monitor sets them (abi/layout.h): the
  // application above the LibOS's range, the HcReady in the LibOS's.
  h.memory_size = 16 << 20;
  h.cpu_features = 1;
  h.image_end = shoal::abi::kLibosLimit;
  h.ready_args = shoal::abi::kLibosBase;
  snap.ranges.push_back({0, 4096, 0});
  std::string env;
  for (const auto& [k, v] : g_env) env += k + "=" + v + "\n";
  snap.vcpu.assign(env.begin(), env.end());
  if (snap.vcpu.empty()) snap.vcpu.push_back('\n');
  std::vector<uint8_t> head = shoal::image::layout_snapshot(snap);
  head.resize(head.size() + 4096);  // the page
  // Like shoal-vmm: a new file at its name, the header written last.
  std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "wb");
  if (!f || rename(tmp.c_str(), path.c_str()) != 0) return false;
  bool ok = fseek(f, 4096, SEEK_SET) == 0 && fwrite(head.data() + 4096, 1, head.size() - 4096, f) == head.size() - 4096;
  ok = ok && fflush(f) == 0 && fseek(f, 0, SEEK_SET) == 0 && fwrite(head.data(), 1, 4096, f) == 4096;
  return fclose(f) == 0 && ok;
}

uint64_t next_deadline() {
  uint64_t d = UINT64_MAX;
  for (auto& [slot, c] : g_conns)
    if (!c.delayed.empty() && c.send_at < d) d = c.send_at;
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  std::string channel, snapshot_out, ready, then = "exit";
  int start_fd = -1;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--channel" && i + 1 < argc) {
      channel = argv[++i];
    } else if (a == "--env" && i + 1 < argc) {
      std::string kv = argv[++i];
      size_t eq = kv.find('=');
      if (eq != std::string::npos) g_env[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "--snapshot-out" && i + 1 < argc) {
      snapshot_out = argv[++i];
    } else if (a == "--ready" && i + 1 < argc) {
      ready = argv[++i];
    } else if (a == "--start-on-fd" && i + 1 < argc) {
      start_fd = atoi(argv[++i]);
    } else if (a == "--snapshot-then" && i + 1 < argc) {
      then = argv[++i];
    } else if ((a == "--memory" || a == "--cpu" || a == "--timeout" || a == "--exe") && i + 1 < argc) {
      ++i;
    } else if (a == "--") {
      break;
    } else {
      positional.push_back(a);
    }
  }
  int memfd = -1;
  if (sscanf(channel.c_str(), "%d,%d,%d", &memfd, &g_to_host, &g_to_guest) != 3) {
    fprintf(stderr, "fake_vmm: --channel M,H,G required\n");
    return 2;
  }
  bool resumed = false;
  if (!positional.empty()) {
    bool is_snapshot = false;
    resumed = read_snapshot(positional[0], is_snapshot);
    if (is_snapshot && !resumed) {
      fprintf(stderr, "fake_vmm: %s: not a valid snapshot (bad magic or truncated)\n", positional[0].c_str());
      return 1;
    }
  }
  if (start_fd >= 0) {  // a warm monitor: everything is set up, wait for the word
    pollfd p{start_fd, POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    close(start_fd);
  }
  g_port = static_cast<uint32_t>(atoi(env("PORT", "8080").c_str()));
  // A resumed guest does not start again: its start-up output is in the
  // snapshot's past. This line only tells the tests it resumed.
  printf("fake guest %s/%s %s %s\n", env("SHOAL_SERVICE").c_str(), env("SHOAL_INSTANCE").c_str(),
         resumed ? "resumed from" : "starting (image", positional.empty() ? "?" : (positional[0] + (resumed ? "" : ")")).c_str());
  fflush(stdout);
  if (env("FAKE_IGNORE_TERM") == "1") signal(SIGTERM, SIG_IGN);
  if (!env("FAKE_EXIT_AT_START").empty()) {
    fprintf(stderr, "fake guest: fatal error at start\nfake guest: backtrace: _start+7\n");
    return atoi(env("FAKE_EXIT_AT_START").c_str());
  }
  struct stat st;
  if (fstat(memfd, &st) != 0) {
    perror("fake_vmm: memfd");
    return 1;
  }
  void* base = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (base == MAP_FAILED || !channel_view_from_header(&g_view, base, static_cast<uint64_t>(st.st_size))) {
    fprintf(stderr, "fake_vmm: bad channel region\n");
    return 1;
  }
  g_header = channel_header(&g_view);
  close(memfd);

  // A resumed guest is past its start: it listens at once.
  uint64_t listen_at = now_ms() + (resumed ? 0 : strtoul(env("FAKE_START_DELAY_MS", "0").c_str(), nullptr, 10));
  bool save = !snapshot_out.empty() && env("FAKE_NO_SAVE") != "1" &&
              (ready.empty() || ready == "listen" || ready == "port:" + std::to_string(g_port));
  bool never = env("FAKE_NEVER_LISTEN") == "1";
  bool listening = false;
  for (;;) {
    uint64_t now = now_ms();
    bool work = false;
    if (!listening && !never && now >= listen_at) {
      channel_listen_add(g_header, g_port);
      listening = true;
      if (!resumed) printf("fake guest listening on port %u\n", g_port);
      fflush(stdout);
      if (save && !write_snapshot(snapshot_out)) {
        fprintf(stderr, "fake_vmm: %s: cannot save the snapshot\n", snapshot_out.c_str());
        return 1;
      }
      if (save && then == "exit") return 0;
      work = true;
    }
    work = poll_slots() || work;
    if (work) {
      kick_host();
      continue;
    }
    // Sleep as a guest does: announce, fence, re-check, block on TO_GUEST_FD.
    channel_announce_sleep(g_header, kSideGuest);
    uint32_t host_events = channel_events(g_header, kSideHost);
    if (host_events != g_seen_host_events || poll_slots()) {
      g_seen_host_events = host_events;
      channel_clear_sleep(g_header, kSideGuest);
      kick_host();
      continue;
    }
    uint64_t deadline = next_deadline();
    if (!listening && !never && listen_at < deadline) deadline = listen_at;
    int timeout = deadline == UINT64_MAX ? 1000 : static_cast<int>(deadline > now ? deadline - now : 0);
    pollfd p{g_to_guest, POLLIN, 0};
    poll(&p, 1, timeout);
    channel_clear_sleep(g_header, kSideGuest);
    uint64_t v;
    (void)!read(g_to_guest, &v, sizeof v);
    g_seen_host_events = channel_events(g_header, kSideHost);
  }
}
