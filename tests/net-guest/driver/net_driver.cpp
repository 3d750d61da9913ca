// Drives the guest-socket test programs (tests/net-guest/programs) under
// shoal-vmm with a real channel, the host playing the pool.
//
//   net_driver SCENARIO --shoal SHOAL --vmm SHOAL_VMM --program PROGRAM
//              [--root DIR] [--writable PATH] [--expect-etc "NAME NAME..."]
// Scenarios: echo (epoll server), threads (thread-per-connection server),
// client (the guest connects to services by name), hostile (a host that
// breaks the protocol), latency (100-byte ping-pong round trips, printed).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "guest.hpp"

using namespace shoal;
using namespace shoal::nettest;

namespace {

struct Args {
  std::string scenario, shoal, vmm, program;
  std::vector<std::string> build_flags;  // --root DIR, --writable PATH for shoal build
  std::string expect_etc;                // client: the listing of /etc it must print
};

std::string random_bytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/net-guest-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (d == nullptr) fail("mkdtemp");
  return d;
}

void print_output(Guest& g) {
  printf("--- guest stdout:\n%s--- guest stderr:\n%s---\n", g.out().c_str(), g.err().c_str());
}

uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t(a) | uint32_t(b) << 8 | uint32_t(c) << 16 | uint32_t(d) << 24;
}

// Many connections at once, each with its own random body, all interleaved.
void many_connections(Guest& g, uint16_t port, int count, size_t body, std::mt19937& rng) {
  struct Conn {
    uint32_t slot;
    std::string data, got;
    size_t sent = 0;
    bool shut = false, eof = false;
  };
  std::vector<Conn> conns;
  for (int i = 0; i < count; ++i) {
    auto slot = g.channel().open(port, ipv4(192, 0, 2, uint8_t(i)), uint16_t(50000 + i));
    if (!slot) fail("open #" + std::to_string(i) + ": " + slot.error().message);
    conns.push_back({slot.value(), random_bytes(rng, body), {}});
  }
  std::vector<uint8_t> buf(65536);
  uint64_t end = now_ns() + 60ull * 1000000000;
  size_t done = 0;
  while (done < conns.size()) {
    bool progress = false;
    for (auto& c : conns) {
      if (c.eof) continue;
      auto st = g.channel().status(c.slot);
      if (st.state == pool::ConnState::connecting) continue;
      expect(st.state == pool::ConnState::open, "a connection was not accepted");
      if (c.sent < c.data.size()) {
        auto n = g.channel().write(
            c.slot, {reinterpret_cast<const uint8_t*>(c.data.data()) + c.sent, c.data.size() - c.sent});
        if (!n) fail("write: " + n.error().message);
        c.sent += n.value();
        progress |= n.value() > 0;
      }
      if (c.sent == c.data.size() && !c.shut) {
        (void)g.channel().shutdown_write(c.slot);
        c.shut = true;
      }
      auto r = g.channel().read(c.slot, buf);
      if (!r) fail("read: " + r.error().message);
      c.got.append(reinterpret_cast<const char*>(buf.data()), r.value().bytes);
      progress |= r.value().bytes > 0;
      if (r.value().eof) {
        c.eof = true;
        ++done;
        expect(c.got == c.data, "echo differs on a connection: sent " + std::to_string(c.data.size()) +
                                    " got " + std::to_string(c.got.size()));
        g.channel().close(c.slot);
      }
    }
    if (now_ns() > end) fail("many connections: timed out with " + std::to_string(done) + " done");
    g.pump(progress ? 0 : 1);
  }
}

// The guest, blocked with no deadline, is woken by a connection the host opens.
void wake_from_sleep(Guest& g, uint16_t port) {
  uint64_t kicks = g.channel().kicks_sent();
  // Long enough for the guest to spin out and block in the monitor.
  uint64_t idle_until = now_ns() + 300000000;
  while (now_ns() < idle_until) g.pump(20);
  uint64_t t0 = now_ns();
  uint32_t slot = g.connect(port);
  std::string got = g.exchange(slot, "wake up\n");
  double ms = double(now_ns() - t0) / 1e6;
  g.channel().close(slot);
  expect(got == "wake up\n", "echo after sleep differs");
  expect(g.channel().kicks_sent() > kicks, "no kick was needed: the guest never slept");
  printf("wake-up from an idle guest: connection answered in %.2f ms (%llu kicks)\n", ms,
         (unsigned long long)(g.channel().kicks_sent() - kicks));
  expect(ms < 1000, "waking the guest took too long");
}

void refused(Guest& g) {
  auto slot = g.channel().open(9999, 0, 0);
  if (!slot) fail("open: " + slot.error().message);
  bool answered = g.wait_for(
      [&] { return g.channel().status(slot.value()).state != pool::ConnState::connecting; }, 10000);
  expect(answered && g.channel().status(slot.value()).state == pool::ConnState::refused,
         "a connection to a port nobody listens on was not refused");
  g.channel().close(slot.value());
  printf("port without listener: refused\n");
}

void reset_one(Guest& g, uint16_t port) {
  uint32_t slot = g.connect(port);
  g.write_all(slot, "x");
  expect(g.read_n(slot, 1) == "x", "no echo before the reset");
  g.channel().reset(slot);
  g.pump(0);
}

int scenario_echo(const Args& a, const std::string& image) {
  GuestOptions o{a.vmm, image, {"8080", "107"}, {}};
  o.channel.slot_count = 256;
  Guest g(o);
  expect(g.wait_output("listening on 8080", 20000), "the server did not start");
  expect(g.wait_for([&] { return g.channel().listening(8080); }, 5000), "port 8080 not in the listen table");
  std::mt19937 rng(42);
  refused(g);
  many_connections(g, 8080, 100, 20000, rng);
  printf("100 concurrent connections, 20 KB each: echoed\n");
  uint64_t t0 = now_ns();
  many_connections(g, 8080, 4, 1 << 20, rng);
  printf("4 concurrent 1 MiB bodies over 32 KiB rings: echoed in %.1f ms\n", double(now_ns() - t0) / 1e6);
  reset_one(g, 8080);
  // EOF semantics: the host's FIN reaches the server, whose FIN comes back
  // after the echo of every byte.
  uint32_t slot = g.connect(8080);
  expect(g.exchange(slot, "half") == "half", "half-close echo");
  g.channel().close(slot);
  wake_from_sleep(g, 8080);
  int status = g.wait_exit(20000);
  print_output(g);
  expect(status == 0, "server exit status " + std::to_string(status));
  expect(g.out().find("accepted 107 eof 106 reset 1") != std::string::npos, "server counters");
  return 0;
}

int scenario_threads(const Args& a, const std::string& image) {
  GuestOptions o{a.vmm, image, {"8080", "26"}, {}};
  o.channel.slot_count = 64;
  o.channel.ring_size = 4096;  // the smallest ring: every large write waits for room
  Guest g(o);
  expect(g.wait_output("listening on 8080", 20000), "the server did not start");
  uint32_t slot = g.connect(8080, ipv4(192, 0, 2, 7), 40001);
  std::string peer = g.exchange(slot, "PEER\n");
  g.channel().close(slot);
  printf("%s", peer.c_str());
  expect(peer == "peer 192.0.2.7:40001 local port 8080 len 16\n", "getpeername/getsockname");
  slot = g.connect(8080);
  uint64_t t0 = now_ns();
  std::string big = g.exchange(slot, "BIG 1048576\n", true, 60000);
  g.channel().close(slot);
  expect(big.size() == 1048576, "BIG: got " + std::to_string(big.size()) + " bytes");
  for (size_t i = 0; i < big.size(); ++i) {
    if (uint8_t(big[i]) != i % 251) fail("BIG: byte " + std::to_string(i) + " differs");
  }
  printf("1 MiB from blocking writes over a 4 KiB ring: %.1f ms\n", double(now_ns() - t0) / 1e6);
  std::mt19937 rng(7);
  many_connections(g, 8080, 20, 50000, rng);
  printf("20 concurrent connections (20 threads), 50 KB each: echoed\n");
  // A thread blocked in recv() learns of the reset.
  slot = g.connect(8080);
  g.write_all(slot, "ping");
  expect(g.read_n(slot, 4) == "ping", "echo before the reset");
  g.channel().reset(slot);
  g.pump(0);
  // Shutdown semantics: the host's FIN ends the thread's loop; its FIN follows.
  for (int i = 0; i < 3; ++i) {
    slot = g.connect(8080);
    expect(g.exchange(slot, "bye") == "bye", "echo then EOF");
    g.channel().close(slot);
  }
  int status = g.wait_exit(20000);
  print_output(g);
  expect(status == 0, "server exit status " + std::to_string(status));
  expect(g.out().find("ended 26 reset 1") != std::string::npos, "server counters");
  return 0;
}

int scenario_client(const Args& a, const std::string& image) {
  GuestOptions o{a.vmm, image, {}, {}};
  o.channel.services = {{"catalog", ipv4(10, 77, 0, 2)}, {"cart", ipv4(10, 77, 0, 3)}};
  Guest g(o);
  struct Served {
    std::string got;
    bool answered = false;
  };
  std::map<uint32_t, Served> served;
  std::vector<uint8_t> buf(4096);
  uint64_t end = now_ns() + 60ull * 1000000000;
  int accepted = 0, refusals = 0;
  while (!g.exited()) {
    if (now_ns() > end) fail("client scenario timed out");
    while (auto open = g.channel().next_guest_open()) {
      if ((open->port == 8081 || open->port == 8082) && open->service == 0) {
        // Accepted, then closed (8081) or reset (8082) at once.
        auto r = g.channel().accept(open->slot);
        if (!r) fail("accept: " + r.error().message);
        if (open->port == 8081)
          g.channel().close(open->slot);
        else
          g.channel().reset(open->slot);
        ++accepted;
      } else if (open->port == 8080 && open->service == 0) {
        expect(open->dest_ipv4 == ipv4(10, 77, 0, 2), "dest address of a guest connect");
        auto r = g.channel().accept(open->slot);
        if (!r) fail("accept: " + r.error().message);
        served[open->slot] = {};
        ++accepted;
      } else {
        (void)g.channel().refuse(open->slot);
        ++refusals;
      }
    }
    for (auto it = served.begin(); it != served.end();) {
      auto r = g.channel().read(it->first, buf);
      if (!r) fail("read from the guest: " + r.error().message);
      it->second.got.append(reinterpret_cast<const char*>(buf.data()), r.value().bytes);
      if (r.value().eof) {
        std::string reply = "catalog got: " + it->second.got;
        auto w = g.channel().write(it->first, {reinterpret_cast<const uint8_t*>(reply.data()), reply.size()});
        expect(w && w.value() == reply.size(), "reply to the guest");
        g.channel().close(it->first);
        it = served.erase(it);
      } else {
        ++it;
      }
    }
    g.pump(1);
  }
  int status = g.wait_exit(1000);
  print_output(g);
  expect(status == 0, "client exit status " + std::to_string(status));
  const char* want[] = {
      "hosts: 127.0.0.1\tlocalhost\n",
      "hosts: 10.77.0.2\tcatalog\n",
      "hosts: 10.77.0.3\tcart\n",
      "getaddrinfo(catalog, 8080) = 10.77.0.2:8080\n",
      "getaddrinfo(cart, 80) = 10.77.0.3:80\n",
      "getaddrinfo(nonexistent) = EAI_NONAME\n",
      "gethostbyname(catalog) = 10.77.0.2\n",
      "connect catalog:8080 = 0\npeer 10.77.0.2:8080\nsend = 14\nreply: catalog got: hello catalog\n",
      "connect catalog:9 = ECONNREFUSED\n",
      "nb connect catalog:8080 = EINPROGRESS\npoll = 1 revents 4\nSO_ERROR = 0\nconnect again = EISCONN\n",
      "sendmsg = 7\npeek = 8\nFIONREAD = 20\nrecvmsg = 20: catalog got: |second\nrecv at EOF = 0\n",
      "nb connect catalog:9 = EINPROGRESS\npoll = 1 revents 1d\nSO_ERROR = ECONNREFUSED\n",
      "recv after close = 0\npoll = 1 revents 2005\nsend = -1 EPIPE sigpipes 1\nsend nosignal = -1 EPIPE "
      "sigpipes 1\n",
      "recv after reset = -1 ECONNRESET\nrecv again = 0 \nsend after reset = -1 EPIPE\n",
      "connect 10.99.99.99 = ENETUNREACH\n",
      "connect localhost:1 = ECONNREFUSED\n",
      "socket(AF_INET6) = ok\n",
      "socket(AF_UNIX) = ok\n",
      "socket(SOCK_DGRAM) = ok\n",
      "done\n",
  };
  for (const char* w : want)
    expect(g.out().find(w) != std::string::npos, std::string("guest output lacks: ") + w);
  if (!a.expect_etc.empty()) {
    std::string line = "etc: " + a.expect_etc + "\n";
    expect(g.out().find(line) != std::string::npos, "guest output lacks: " + line);
  }
  expect(accepted == 4 && refusals >= 2, "host saw " + std::to_string(accepted) + " accepted, " +
                                             std::to_string(refusals) + " refused connects");
  return 0;
}

// A host that breaks the protocol resets only the connections it breaks;
// the guest keeps serving.
int scenario_hostile(const Args& a, const std::string& image) {
  using namespace shoal::abi;
  GuestOptions o{a.vmm, image, {"8080", "3"}, {}};
  Guest g(o);
  expect(g.wait_output("listening on 8080", 20000), "the server did not start");
  ChannelView view{};
  expect(channel_view_make(&view, g.region(), g.channel().region_size(), g.channel().slot_count(),
                           g.channel().ring_size()),
         "view of the region");
  ChannelHeader* h = channel_header(&view);
  auto poke = [&] {
    channel_bump_events(h, kSideHost);
    uint64_t one = 1;
    (void)!write(g.channel().fds().to_guest, &one, sizeof one);
  };
  auto reset_seen = [&](uint32_t slot) {
    return g.wait_for([&] { return g.channel().status(slot).peer_reset; }, 10000);
  };

  // 1. A ring index past the ring: the guest's read reports a reset.
  uint32_t a1 = g.connect(8080);
  expect(g.exchange(a1, "x", false) == "x", "echo before the bad index");
  ChannelSlot* s1 = channel_slot(&view, a1);
  uint32_t tail = __atomic_load_n(&s1->to_guest.tail, __ATOMIC_ACQUIRE);
  __atomic_store_n(&s1->to_guest.head, tail + 3 * view.ring_size, __ATOMIC_RELEASE);
  poke();
  expect(reset_seen(a1), "the guest did not reset a connection with a corrupt ring");
  g.channel().close(a1);
  printf("corrupt ring index: that connection reset\n");

  // 2. An open slot's state moved under the guest: it forgets the slot.
  uint32_t b1 = g.connect(8080);
  expect(g.exchange(b1, "y", false) == "y", "echo before the bad state");
  __atomic_store_n(&channel_slot(&view, b1)->state, uint32_t{kSlotFree}, __ATOMIC_RELEASE);
  poke();
  g.pump(5);
  g.pump(5);
  g.channel().close(b1);
  printf("slot state changed under the guest: that connection reset\n");

  // 3. A connection to a port that cannot exist: refused, not served.
  uint32_t c1 = g.channel().slot_count() / 2 - 1;
  ChannelSlot* s3 = channel_slot(&view, c1);
  expect(slot_claim(s3), "claim a free host slot by hand");
  __atomic_store_n(&s3->port, 0x12345678u, __ATOMIC_RELAXED);
  slot_publish(s3);
  poke();
  expect(g.wait_for([&] { return slot_state(s3) == kSlotRefused; }, 10000), "a bad port was not refused");
  expect(slot_free_refused(s3), "free the refused slot");
  printf("port past 65535: refused\n");

  // 4. The guest still serves.
  uint32_t d1 = g.connect(8080);
  expect(g.exchange(d1, "still alive") == "still alive", "echo after the hostile steps");
  g.channel().close(d1);
  int status = g.wait_exit(20000);
  print_output(g);
  expect(status == 0, "server exit status " + std::to_string(status));
  expect(g.out().find("accepted 3 eof 1 reset 2") != std::string::npos, "server counters");
  return 0;
}

struct Stats {
  double p50, p90, p99, mean;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  auto at = [&](double q) { return v[std::min(v.size() - 1, size_t(q * double(v.size())))]; };
  return {at(0.5), at(0.9), at(0.99), sum / double(v.size())};
}

// Round trips of 100 bytes. gap_us: host pause between pings (the guest may
// fall asleep); host_spins: the host busy-polls for the reply instead of
// sleeping on the guest's kick.
std::vector<double> ping_pong(Guest& g, uint32_t slot, int rounds, int gap_us, bool host_spins) {
  std::string ping(100, 'p');
  std::vector<uint8_t> buf(256);
  std::vector<double> rtt;
  for (int i = 0; i < rounds; ++i) {
    if (gap_us > 0) {
      uint64_t until = now_ns() + uint64_t(gap_us) * 1000;
      while (now_ns() < until) {
        if (gap_us >= 1000) g.pump(gap_us / 1000);
      }
    }
    uint64_t t0 = now_ns();
    auto w = g.channel().write(slot, {reinterpret_cast<const uint8_t*>(ping.data()), ping.size()});
    expect(w && w.value() == 100, "ping write");
    g.channel().flush();
    size_t got = 0;
    while (got < 100) {
      auto r = g.channel().read(slot, {buf.data(), 100 - got});
      if (!r) fail("pong read: " + r.error().message);
      got += r.value().bytes;
      if (got < 100 && !host_spins) g.pump(5);
      if (now_ns() - t0 > 5000000000ull) fail("pong timed out");
    }
    rtt.push_back(double(now_ns() - t0) / 1000.0);
  }
  return rtt;
}

int scenario_latency(const Args& a, const std::string& image) {
  GuestOptions o{a.vmm, image, {"8080"}, {}};
  // NET_VMM_CPU=N pins the vCPU (run the driver under taskset on another CPU
  // to keep the two pollers apart).
  if (const char* cpu = getenv("NET_VMM_CPU")) o.cpu = atoi(cpu);
  Guest g(o);
  expect(g.wait_output("listening on 8080", 20000), "the server did not start");
  uint32_t slot = g.connect(8080);
  ping_pong(g, slot, 200, 0, true);  // warm up
  struct Case {
    const char* name;
    int rounds, gap_us;
    bool host_spins;
  } cases[] = {
      {"busy: back-to-back, host polls", 5000, 0, true},
      {"gap 10 us (guest still spinning), host polls", 2000, 10, true},
      {"gap 100 us (guest asleep), host polls", 1000, 100, true},
      {"idle: gap 2 ms (guest asleep), host polls", 300, 2000, true},
      {"idle: gap 2 ms, host sleeps on the kick too", 300, 2000, false},
  };
  printf(
      "100-byte ping-pong round trips over the channel (us; the guest spins adaptively, at most 30 us; "
      "%s):\n",
      o.cpu >= 0 ? "vCPU pinned" : "unpinned");
  for (const Case& c : cases) {
    uint64_t kicks = g.channel().kicks_sent();
    Stats s = stats(ping_pong(g, slot, c.rounds, c.gap_us, c.host_spins));
    double per = double(g.channel().kicks_sent() - kicks) / c.rounds;
    printf("  %-46s p50 %7.1f  p90 %7.1f  p99 %7.1f  mean %7.1f  kicks/rt %.2f\n", c.name, s.p50, s.p90,
           s.p99, s.mean, per);
  }
  fflush(stdout);
  g.channel().close(slot);
  g.pump(0);
  print_output(g);
  return 0;
}

// Runs a conformance program (tests/compat) natively: its stdout, or the
// case list when args is empty.
std::string run_native(const std::string& program, const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) fail("pipe");
  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    alarm(30);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

// compare: every case of a conformance program (tests/compat/cases) runs in
// a pool instance (a channel, no device) and natively; the outputs must be
// equal. The host plays a pool that opens nothing: what the cases do, they
// do within the instance (tests/compat/cases/loopback.c: TCP to its own
// listener over 127.0.0.1, which rides the channel sockets).
int scenario_compare(const Args& a, const std::string& image) {
  std::string list = run_native(a.program, {});
  std::vector<std::string> cases;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t nl = list.find('\n', pos);
    if (nl == std::string::npos) nl = list.size();
    if (nl > pos) cases.push_back(list.substr(pos, nl - pos));
    pos = nl + 1;
  }
  expect(!cases.empty(), "the program lists no cases");
  std::string dir = temp_dir();
  int failures = 0;
  for (const std::string& c : cases) {
    std::string want = run_native(a.program, {c, "-", dir});
    GuestOptions o{a.vmm, image, {c, "-", "/tmp"}, {}};
    o.timeout_s = 60;
    Guest g(o);
    int rc = g.wait_exit(60000);
    g.pump(0);
    if (rc == 0 && g.out() == want) {
      printf("ok: %s: same output as Linux\n", c.c_str());
      continue;
    }
    ++failures;
    printf("FAIL: %s (status %d)\n--- Linux:\n%s", c.c_str(), rc, want.c_str());
    print_output(g);
  }
  rmdir(dir.c_str());
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc < 2) fail("usage: net_driver SCENARIO --shoal S --vmm V --program P");
  a.scenario = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--shoal")
      a.shoal = v;
    else if (k == "--vmm")
      a.vmm = v;
    else if (k == "--program")
      a.program = v;
    else if (k == "--root" || k == "--writable")
      a.build_flags.insert(a.build_flags.end(), {k, v});
    else if (k == "--expect-etc")
      a.expect_etc = v;
    else
      fail("unknown option " + k);
  }
  if (access("/dev/kvm", W_OK) != 0) fail("/dev/kvm is not usable here");
  std::string dir = temp_dir();
  std::string image = build_image(a.shoal, a.program, dir, a.build_flags);
  int rc = 2;
  if (a.scenario == "echo")
    rc = scenario_echo(a, image);
  else if (a.scenario == "threads")
    rc = scenario_threads(a, image);
  else if (a.scenario == "client")
    rc = scenario_client(a, image);
  else if (a.scenario == "latency")
    rc = scenario_latency(a, image);
  else if (a.scenario == "hostile")
    rc = scenario_hostile(a, image);
  else if (a.scenario == "compare")
    rc = scenario_compare(a, image);
  else
    fail("unknown scenario " + a.scenario);
  unlink(image.c_str());
  rmdir(dir.c_str());
  if (rc == 0) printf("PASS\n");
  return rc;
}
