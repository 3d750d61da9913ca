// Host harness for tests/channel: creates a Channel, starts shoal-vmm on the
// echo_upper guest with --channel, and checks the whole path end to end:
// readiness through the listen table, 50 concurrent connections (some far
// larger than a ring, so back-pressure works both ways), upper-cased echoes,
// EOF and close, a refused port, a second wave that must reuse slots, a
// connection the guest opens to a service, and kicks in both directions.
//
//   channel_harness --vmm SHOAL_VMM --image IMAGE [--connections N]
//
// Exit status 0 when every check passed; the reason otherwise.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "pool/channel/channel.hpp"
#include "../../lib/harness_check.hpp"

using namespace shoal;
using namespace shoal::pool;

namespace {

constexpr uint16_t kPort = 7000;
constexpr uint16_t kClosedPort = 7001;
constexpr uint16_t kServicePort = 9000;

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

struct Conn {
  uint32_t slot = 0;
  std::string payload, expect, got;
  size_t sent = 0;
  bool shut = false, done = false;
};

struct GuestCall {
  bool seen = false, answered = false, done = false;
  uint32_t slot = 0;
  std::string request;
};

class Harness {
 public:
  Harness(Channel& ch, pid_t vm) : m_ch(ch), m_vm(vm) {}

  // One turn of the event loop: guest-opened connections, then sleep until a
  // kick (or 10 ms) if nothing is pending. Returns false if the VM is gone.
  bool pump() {
    serve_guest_call();
    m_ch.flush();
    if (!m_ch.prepare_sleep()) {
      pollfd p{m_ch.to_host_fd(), POLLIN, 0};
      if (poll(&p, 1, 10) == 1) ++m_kicks_received;
    }
    m_ch.finish_sleep();
    // As the gateway does: what changed (this also retires closed slots
    // whose release the guest completed).
    if (m_ch.changed()) {
      m_ready.clear();
      m_ch.collect(m_ready);
    }
    int st;
    if (m_vm_status < 0 && waitpid(m_vm, &st, WNOHANG) == m_vm)
      m_vm_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return m_vm_status < 0;
  }

  bool wait_listening(double timeout) {
    double end = now_s() + timeout;
    while (now_s() < end) {
      if (m_ch.listening(kPort)) return true;
      if (!pump()) return false;
    }
    return false;
  }

  // Opens `count` connections at once, sends each payload (echoed upper-cased),
  // reads to EOF, closes. Returns the slots used.
  std::set<uint32_t> wave(int count, int seed) {
    std::vector<Conn> conns;
    std::set<uint32_t> slots;
    for (int i = 0; i < count; ++i) {
      auto slot = m_ch.open(kPort, 0x0100007f, static_cast<uint16_t>(40000 + i));
      CHECK(slot.ok(), "open %d: %s", i, slot.ok() ? "" : slot.error().message.c_str());
      if (!slot.ok()) break;
      Conn c;
      c.slot = *slot;
      size_t size = (i % 5 == 0) ? 100000 + static_cast<size_t>(i) * 37
                                 : 1 + static_cast<size_t>(i * 131 + seed) % 3000;
      c.payload.resize(size);
      for (size_t k = 0; k < size; ++k)
        c.payload[k] =
            "abcdefghijklmnopqrstuvwxyz0123456789 -\n"[(k * 7 + static_cast<size_t>(i + seed)) % 39];
      c.expect = c.payload;
      for (char& ch : c.expect) ch = upper(ch);
      slots.insert(c.slot);
      conns.push_back(std::move(c));
    }
    double end = now_s() + 60;
    size_t done = 0;
    while (done < conns.size() && now_s() < end) {
      for (auto& c : conns) {
        if (c.done) continue;
        while (c.sent < c.payload.size()) {
          auto w = m_ch.write(c.slot, {reinterpret_cast<const uint8_t*>(c.payload.data()) + c.sent,
                                       c.payload.size() - c.sent});
          CHECK(w.ok(), "write slot %u: %s", c.slot, w.ok() ? "" : w.error().message.c_str());
          if (!w.ok() || *w == 0) break;
          if (*w < c.payload.size() - c.sent) ++m_partial_writes;
          c.sent += *w;
        }
        if (c.sent == c.payload.size() && !c.shut) {
          CHECK(m_ch.shutdown_write(c.slot).ok(), "shutdown slot %u", c.slot);
          c.shut = true;
        }
        uint8_t buf[16384];
        for (;;) {
          auto r = m_ch.read(c.slot, buf);
          CHECK(r.ok(), "read slot %u: %s", c.slot, r.ok() ? "" : r.error().message.c_str());
          if (!r.ok()) {
            c.done = true;
            ++done;
            break;
          }
          c.got.append(reinterpret_cast<char*>(buf), r->bytes);
          if (r->eof) {
            CHECK(c.got == c.expect, "slot %u: echo of %zu bytes differs (got %zu bytes)", c.slot,
                  c.expect.size(), c.got.size());
            m_bytes += c.got.size();
            m_ch.close(c.slot);
            c.done = true;
            ++done;
            break;
          }
          if (r->bytes == 0) break;
        }
      }
      if (!pump()) break;
    }
    CHECK(done == conns.size(), "wave %d: %zu of %zu connections finished", seed, done, conns.size());
    return slots;
  }

  void refused_port() {
    auto slot = m_ch.open(kClosedPort, 0, 0);
    CHECK(slot.ok(), "open closed port");
    if (!slot.ok()) return;
    double end = now_s() + 20;
    while (m_ch.status(*slot).state == ConnState::connecting && now_s() < end && pump()) {
    }
    CHECK(m_ch.status(*slot).state == ConnState::refused, "port %u not refused", kClosedPort);
    uint8_t b[4];
    auto r = m_ch.read(*slot, b);
    CHECK(!r.ok() && r.error().code == ECONNREFUSED, "read on a refused connection");
    m_ch.close(*slot);
  }

  // The guest's own connection (service 0, port 9000): answer and close.
  void serve_guest_call() {
    if (!m_call.seen) {
      if (auto o = m_ch.next_guest_open()) {
        CHECK(o->service == 0 && o->port == kServicePort && o->dest_ipv4 == kServiceIp, "guest open %u/%u/%x",
              o->service, o->port, o->dest_ipv4);
        CHECK(m_ch.accept(o->slot).ok(), "accept guest slot");
        m_call.seen = true;
        m_call.slot = o->slot;
      }
      return;
    }
    if (m_call.done) return;
    uint8_t buf[256];
    auto r = m_ch.read(m_call.slot, buf);
    if (!r.ok()) {
      CHECK(false, "guest call read: %s", r.error().message.c_str());
      m_call.done = true;
      return;
    }
    m_call.request.append(reinterpret_cast<char*>(buf), r->bytes);
    if (r->eof && !m_call.answered) {
      CHECK(m_call.request == "hello from guest", "guest sent '%s'", m_call.request.c_str());
      static const char kAnswer[] = "hello guest";
      auto w = m_ch.write(m_call.slot, {reinterpret_cast<const uint8_t*>(kAnswer), sizeof kAnswer - 1});
      CHECK(w.ok() && *w == sizeof kAnswer - 1, "answer written");
      m_ch.close(m_call.slot);
      m_call.answered = m_call.done = true;
    }
  }

  int finish(double timeout) {
    double end = now_s() + timeout;
    while (m_vm_status < 0 && now_s() < end) pump();
    if (m_vm_status < 0) {
      kill(m_vm, SIGKILL);
      int st;
      waitpid(m_vm, &st, 0);
      CHECK(false, "the guest did not exit");
    }
    return m_vm_status;
  }

  static constexpr uint32_t kServiceIp = 0x09004d0a;  // 10.77.0.9, network byte order
  uint64_t m_kicks_received = 0, m_bytes = 0, m_partial_writes = 0;
  GuestCall m_call;

 private:
  Channel& m_ch;
  std::vector<uint32_t> m_ready;
  pid_t m_vm;
  int m_vm_status = -1;
};

}  // namespace

int main(int argc, char** argv) {
  std::string vmm, image;
  int connections = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--vmm")
      vmm = argv[i + 1];
    else if (k == "--image")
      image = argv[i + 1];
    else if (k == "--connections")
      connections = atoi(argv[i + 1]);
  }
  if (vmm.empty() || image.empty()) {
    fprintf(stderr, "usage: channel_harness --vmm SHOAL_VMM --image IMAGE [--connections N]\n");
    return 2;
  }
  ChannelConfig config;
  config.slot_count = 128;  // 64 host slots: one wave of 50 fits, two waves must reuse
  config.ring_size = 4096;  // small rings: the 100 KB payloads need back-pressure
  config.services = {{"echo-back", Harness::kServiceIp}};
  auto made = Channel::create(config);
  if (!made.ok()) {
    fprintf(stderr, "FAIL: %s\n", made.error().message.c_str());
    return 1;
  }
  Channel& ch = made.value();

  char out_path[] = "/tmp/channel-harness-XXXXXX";
  int out = mkstemp(out_path);
  unlink(out_path);
  double t0 = now_s();
  std::string total = std::to_string(2 * connections);
  std::string channel_arg = ch.vmm_argument();
  pid_t vm = fork();
  if (vm == 0) {
    if (!ch.clear_cloexec()) _exit(126);
    dup2(out, 1);
    dup2(out, 2);
    std::vector<std::string> args{vmm,  "--timeout",           "100", "--channel", channel_arg, image,
                                  "--", std::to_string(kPort), total};
    std::vector<char*> cargv;
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  ch.drop_memfd();  // the monitor has its own copy now
  Harness h(ch, vm);

  bool ready = h.wait_listening(30);
  CHECK(ready, "the guest never listened on %u", kPort);
  double t_ready = now_s();
  std::set<uint32_t> first, second;
  if (ready) {
    first = h.wave(connections, 1);
    h.refused_port();
    second = h.wave(connections, 2);
    CHECK(
        first.size() == static_cast<size_t>(connections) && second.size() == static_cast<size_t>(connections),
        "waves used %zu and %zu distinct slots", first.size(), second.size());
    size_t reused = 0;
    for (uint32_t s : second) reused += first.count(s);
    // 64 host slots for 2 x 50 connections: at least 36 must be reused.
    CHECK(reused >= static_cast<size_t>(2 * connections - 64), "only %zu slots reused", reused);
    printf("slots: first wave %zu, second wave %zu, reused %zu\n", first.size(), second.size(), reused);
  }
  double t_done = now_s();
  int status = h.finish(30);
  CHECK(h.m_call.done, "the guest's own connection to the service was never served");
  CHECK(status == 0, "guest exit status %d", status);
  CHECK(h.m_kicks_received > 0, "no kick from the guest ever woke the host");
  CHECK(h.m_partial_writes > 0, "no write was ever cut short by a full ring (back-pressure untested)");
  CHECK(ch.slots_in_use() == 0, "%u slots still in use", ch.slots_in_use());

  std::string guest_out;
  char buf[4096];
  ssize_t n;
  lseek(out, 0, SEEK_SET);
  while ((n = read(out, buf, sizeof buf)) > 0) guest_out.append(buf, static_cast<size_t>(n));
  CHECK(guest_out.find("served " + total + " connections") != std::string::npos, "guest summary missing");
  CHECK(guest_out.find("refused 1") != std::string::npos, "guest did not count the refused port");
  CHECK(guest_out.find("answer 'hello guest'") != std::string::npos,
        "guest did not get the service's answer");
  size_t kicks_at = guest_out.find("kicks ");
  CHECK(kicks_at != std::string::npos && atol(guest_out.c_str() + kicks_at + 6) > 0,
        "the guest never kicked");
  printf("--- guest output:\n%s---\n", guest_out.c_str());
  printf(
      "boot to listening %.0f ms; %d connections in 2 waves, %lu bytes echoed in %.0f ms; "
      "%lu partial writes; host woken by %lu guest kicks; host sent %lu kicks\n",
      (t_ready - t0) * 1e3, 2 * connections, static_cast<unsigned long>(h.m_bytes), (t_done - t_ready) * 1e3,
      static_cast<unsigned long>(h.m_partial_writes), static_cast<unsigned long>(h.m_kicks_received),
      static_cast<unsigned long>(ch.kicks_sent()));
  if (g_failures) {
    printf("FAIL: %d checks failed\n", g_failures);
    return 1;
  }
  printf("PASS\n");
  return 0;
}
