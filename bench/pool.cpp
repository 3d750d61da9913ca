// bench/pool: shoal's gateway and K instances against nginx and K native
// processes of the same server, on this machine, in the same run.
//
//   pool BUILD_DIR [--instances K] [--duration S] [--connections C] [--rounds R]
//                  [--cold-runs N] [--only throughput|cold] [--skip-shoal]
//
// Throughput: the hello server (examples/shop/hello, a static C++ epoll
// server) behind
//   shoal  `shoal up` of a spec with hello.shoal at min = max = K instances;
//   nginx  Debian's nginx, worker_processes 1 (shoald's gateway is one event
//          loop on one thread), round robin over K native hello processes
//          on loopback with `keepalive 32` idle upstream connections;
// both up at once; after a 2 s warm-up of each, `wrk -t1 -cC -dSs --latency`
// measures one front then the other, R rounds (default 3): the medians of
// requests per second and of p99 latency, and the medians of the per-round
// ratios (adjacent runs: the ratio moves less with the machine's load).
//
// Cold start: a spec with min_instances = 0 and scale_to_zero_after = 1s;
// once the pool is at zero, one GET through the gateway is timed (connect ->
// complete response: the gateway holds it while an instance starts), N times
// (default 30; median and p99), for each way an instance starts (issue 13):
//   boot             start = "boot": the image boots;
//   snapshot         start = "snapshot", warm = 0: a new monitor resumes the
//                    service's snapshot;
//   snapshot + warm  warm = 1: a waiting monitor is told to run;
//   + warm_up        warm_up = "/healthz": the waiting monitor was resumed and
//                    sent one request before it is taken;
// against the native hello's time from exec to its first response, N times in
// the same run. The first request of each pool (which boots, and for the
// snapshot pools saves the snapshot) is not timed: it is the first start
// after an image changes, once; the snapshot cache is the run's own.
//
// Every process it starts is stopped on every path (pool_proc.hpp).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "pool_http.hpp"
#include "pool_nginx.hpp"
#include "pool_proc.hpp"
#include "pool_shoal.hpp"
#include "pool_wrk.hpp"

using namespace shoal;
using namespace shoal::bench::pool;

namespace {

struct Options {
  std::string build;
  int instances = 4;
  int cold_runs = 30;
  int rounds = 3;
  bool throughput = true, cold = true, shoal = true;
  WrkOptions wrk;
};

struct Paths {
  std::string shoal, hello, image, tmp;
};

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s BUILD_DIR [--instances K] [--duration S] [--connections C] [--rounds R] [--cold-runs N]\n"
               "       [--only throughput|cold] [--skip-shoal]\n",
               argv0);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) usage(argv[0]);
  o.build = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc) usage(argv[0]);
      int v = std::atoi(argv[++i]);
      if (v <= 0) usage(argv[0]);
      return v;
    };
    if (a == "--instances") o.instances = value();
    else if (a == "--duration") o.wrk.seconds = value();
    else if (a == "--connections") o.wrk.connections = value();
    else if (a == "--cold-runs") o.cold_runs = value();
    else if (a == "--rounds") o.rounds = value();
    else if (a == "--skip-shoal") o.shoal = false;
    else if (a == "--only" && i + 1 < argc) {
      std::string what = argv[++i];
      o.throughput = what == "throughput";
      o.cold = what == "cold";
      if (!o.throughput && !o.cold) usage(argv[0]);
    } else usage(argv[0]);
  }
  return o;
}

std::string fmt_us(double us) {
  char buf[32];
  if (us >= 10000) std::snprintf(buf, sizeof buf, "%.1f ms", us / 1000);
  else if (us >= 1000) std::snprintf(buf, sizeof buf, "%.2f ms", us / 1000);
  else std::snprintf(buf, sizeof buf, "%.0f us", us);
  return buf;
}

bool g_stop_failed = false;  // a `shoal down` failed: the run fails, whatever it measured

void stop_pool(RunningPool& pool) {
  if (auto down = pool.down(); !down) {
    std::fprintf(stderr, "pool: %s\n", down.error().message.c_str());
    g_stop_failed = true;
  }
}

// K native hello servers on free loopback ports.
Result<std::vector<Child>> start_natives(const Paths& p, int k, std::vector<uint16_t>& ports) {
  std::vector<Child> natives;
  for (int i = 0; i < k; ++i) {
    uint16_t port = TRY(free_port());
    natives.push_back(TRY(Child::spawn({p.hello, "--bind", "127.0.0.1", "--port", std::to_string(port)}, {},
                                       p.tmp + "/hello-" + std::to_string(i) + ".log")));
    if (!wait_http_ok(port, "/", 5000))
      return make_error("native hello on port " + std::to_string(port) + " did not answer: " +
                        read_file(natives.back().log_path()));
    ports.push_back(port);
  }
  return natives;
}

void print_wrk(const std::string& label, const WrkResult& r) {
  std::printf("  %-52s %9.0f rps   p50 %-9s p99 %s\n", label.c_str(), r.rps, fmt_us(r.p50_us).c_str(),
              fmt_us(r.p99_us).c_str());
  if (r.socket_errors || r.non_2xx)
    std::printf("    (errors: %ld socket, %ld non-2xx of %ld requests)\n", r.socket_errors, r.non_2xx, r.requests);
}

struct Throughput {
  std::vector<double> rps, p99_us;
  long errors = 0;
  void add(const WrkResult& r) {
    rps.push_back(r.rps);
    p99_us.push_back(r.p99_us);
    errors += r.socket_errors + r.non_2xx;
  }
};

// Both fronts run side by side (the idle one costs nothing: nginx sleeps in
// epoll_wait, idle instances in their blocking hypercall), then wrk measures
// them in turn, round after round, so that both see the same machine.
Result<void> throughput(const Paths& p, const Options& o, const std::string& nginx_label,
                        const std::string& shoal_label) {
  std::vector<uint16_t> ports;
  auto natives = TRY(start_natives(p, o.instances, ports));
  std::string nginx_dir = p.tmp + "/nginx", shoal_dir = p.tmp + "/shoal";
  std::filesystem::create_directories(nginx_dir);
  std::filesystem::create_directories(shoal_dir);
  NginxConfig config{nginx_dir, TRY(free_port()), ports, 1, 32};
  Child nginx = TRY(start_nginx(config, 5000));
  std::optional<RunningPool> running;
  HelloPool pool{shoal_dir, p.image, TRY(free_port()), TRY(free_port()), o.instances};
  if (o.shoal) {
    running.emplace(TRY(RunningPool::up(p.shoal, pool, "hello-pool", 60000)));
    if (!wait_http_ok(pool.listen, "/", 10000)) return make_error("the gateway does not answer GET / with 200");
  }
  struct Front {
    const std::string& label;
    uint16_t port;
    Throughput t;
  };
  std::vector<Front> fronts{{nginx_label, config.listen, {}}};
  if (o.shoal) fronts.push_back({shoal_label, pool.listen, {}});
  WrkOptions warm = o.wrk;
  warm.seconds = 2;
  for (auto& f : fronts) TRY(run_wrk("http://127.0.0.1:" + std::to_string(f.port) + "/", warm));
  // Ratios within a round compare runs a few seconds apart: they move less
  // with the machine's load than the absolute figures do.
  std::vector<double> tput_ratio, p99_ratio;
  for (int round = 0; round < o.rounds && !interrupted(); ++round) {
    for (auto& f : fronts) {
      WrkResult r = TRY(run_wrk("http://127.0.0.1:" + std::to_string(f.port) + "/", o.wrk));
      if (o.rounds > 1) print_wrk("round " + std::to_string(round + 1) + ": " + f.label, r);
      f.t.add(r);
    }
    if (fronts.size() == 2) {
      tput_ratio.push_back(fronts[1].t.rps.back() / fronts[0].t.rps.back());
      p99_ratio.push_back(fronts[1].t.p99_us.back() / fronts[0].t.p99_us.back());
    }
  }
  if (interrupted()) return make_error("interrupted");
  if (running) stop_pool(*running);
  if (o.rounds > 1) std::printf("  median of %d rounds:\n", o.rounds);
  for (auto& f : fronts) {
    std::printf("  %-52s %9.0f rps   p99 %s\n", f.label.c_str(), bench::median(f.t.rps),
                fmt_us(bench::median(f.t.p99_us)).c_str());
    if (f.t.errors) std::printf("    (%ld failed requests in all)\n", f.t.errors);
  }
  if (fronts.size() == 2) {
    double tput = bench::median(tput_ratio), p99 = bench::median(p99_ratio);
    std::printf("  shoal/nginx (median of the per-round ratios): throughput %.2fx (target >= 0.7x: %s),"
                " p99 latency %.2fx\n",
                tput, tput >= 0.7 ? "met" : "NOT met", p99);
  }
  return {};
}

// Exec -> first complete response of a native hello, in microseconds.
Result<double> native_cold_start(const Paths& p, int run) {
  uint16_t port = TRY(free_port());
  double t0 = now_us();
  Child hello = TRY(Child::spawn({p.hello, "--bind", "127.0.0.1", "--port", std::to_string(port)}, {},
                                 p.tmp + "/cold-native-" + std::to_string(run) + ".log"));
  while (now_us() - t0 < 5e6 && !interrupted()) {
    auto r = http_get(port, "/", 1000);
    if (r && r->status == 200) return now_us() - t0;
    usleep(50);  // refused: not listening yet
  }
  return make_error("native hello did not answer within 5 s");
}

// Instances of hello that exist (starting, ready or draining), from metrics;
// nullopt when the admin listener has no such series.
std::optional<double> live_instances(uint16_t admin) {
  std::optional<double> total;
  for (const char* state : {"starting", "ready", "draining"})
    if (auto v = metric(admin, "shoal_instances", {"service=\"hello\"", std::string("state=\"") + state + "\""}))
      total = total.value_or(0) + *v;
  return total;
}

struct ColdMode {
  const char* label;
  const char* start;
  int warm;
  const char* kind;  // shoal_cold_start_duration_seconds's label for it
  const char* warm_up = "";
};
constexpr ColdMode kColdModes[] = {
    {"boot", "boot", -1, "boot"},
    {"snapshot", "snapshot", 0, "snapshot"},
    {"snapshot + warm", "snapshot", 1, "warm"},
    {"snapshot + warm + warm_up", "snapshot", 1, "warm", "/healthz"},
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);  // nearest rank
  return v[std::min(v.size(), std::max<size_t>(rank, 1)) - 1];
}

struct ColdResult {
  std::vector<double> us;
  bool verified = true;       // each timed request was an activation (metrics say so)
  double spawn_to_ready_us = -1;  // shoald's own mean, from shoal_cold_start_duration_seconds
};

Result<ColdResult> shoal_cold_start(const Paths& p, const Options& o, const ColdMode& mode) {
  std::string dir = p.tmp + "/shoal-cold-" + mode.kind + (*mode.warm_up ? "-up" : "");
  std::filesystem::create_directories(dir);
  HelloPool pool{dir, p.image, TRY(free_port()), TRY(free_port()), 0, true, "1s", mode.start, mode.warm, mode.warm_up};
  RunningPool running = TRY(RunningPool::up(p.shoal, pool, "hello-cold", 60000));
  ColdResult result;
  std::string kind = std::string("kind=\"") + mode.kind + "\"";
  std::optional<double> kind_before;
  // Round -1 is the untimed first start (it boots and saves the snapshot).
  for (int i = -1; i < o.cold_runs && !interrupted(); ++i) {
    // Idle until the pool is at zero (the first round: it starts there).
    double deadline = now_us() + 20e6;
    while (true) {
      auto live = live_instances(pool.admin);
      if (live && *live == 0) break;
      if (!live) {
        // No instance metrics: wait out the idle period with a margin.
        usleep(i == 0 ? 200000 : 2500000);
        result.verified = false;
        break;
      }
      if (now_us() > deadline || interrupted()) return make_error("the pool did not scale to zero within 20 s");
      usleep(50000);
    }
    if (i == 0) kind_before = metric(pool.admin, "shoal_cold_start_duration_seconds_count", {"service=\"hello\"", kind});
    auto before = metric(pool.admin, "shoal_activations_total", {"service=\"hello\""});
    auto r = TRY(http_get(pool.listen, "/", 20000));
    if (r.status != 200) return make_error("cold request answered " + std::to_string(r.status) + ": " + r.body);
    auto after = metric(pool.admin, "shoal_activations_total", {"service=\"hello\""});
    if (i < 0) continue;
    if (!before || !after || *after != *before + 1) result.verified = false;
    result.us.push_back(r.us);
  }
  // Every timed start was of the mode's kind (no fallback to boot); shoald's
  // own spawn -> listening for that kind (mean, the untimed start included
  // when it was of the same kind).
  auto sum = metric(pool.admin, "shoal_cold_start_duration_seconds_sum", {"service=\"hello\"", kind});
  auto count = metric(pool.admin, "shoal_cold_start_duration_seconds_count", {"service=\"hello\"", kind});
  if (!count || !kind_before || *count - *kind_before != static_cast<double>(result.us.size())) result.verified = false;
  if (sum && count && *count > 0) result.spawn_to_ready_us = *sum / *count * 1e6;
  stop_pool(running);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  install_signal_cleanup();
  char tmpl[] = "/tmp/shoal-bench-pool-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    return 1;
  }
  // The snapshots the pools make are this run's own (not the user's cache).
  setenv("XDG_CACHE_HOME", (std::string(tmpl) + "/cache").c_str(), 1);
  Paths p{o.build + "/bin/shoal", o.build + "/examples/shop/hello", o.build + "/examples/shop/hello.shoal", tmpl};
  p.image = std::filesystem::absolute(p.image);
  for (auto& f : {p.hello, p.image, p.shoal}) {
    if (access(f.c_str(), R_OK) != 0) {
      std::fprintf(stderr, "pool: %s is missing (build the tree first)\n", f.c_str());
      std::filesystem::remove_all(p.tmp);
      return 1;
    }
  }
  bool failed = false;
  auto report_error = [&](const char* what, const Error& e) {
    std::printf("  %s: FAILED: %s\n", what, e.message.c_str());
    failed = true;
  };

  if (o.throughput) {
    std::printf("pool: hello (13-byte body) behind a proxy, K=%d, wrk -t%d -c%d -d%ds --latency, %d round(s), %ld cores\n",
                o.instances, o.wrk.threads, o.wrk.connections, o.wrk.seconds, o.rounds, sysconf(_SC_NPROCESSORS_ONLN));
    std::string nginx_label = nginx_version() + " (1 worker) -> " + std::to_string(o.instances) + " native";
    std::string shoal_label = "shoal gateway -> " + std::to_string(o.instances) + " instances";
    if (auto t = throughput(p, o, nginx_label, shoal_label); !t) report_error("throughput", t.error());
  }

  if (o.cold && !interrupted()) {
    std::printf("cold start: request -> response, %d rounds each (median, p99)\n", o.cold_runs);
    std::vector<double> native;
    for (int i = 0; i < o.cold_runs && !interrupted(); ++i) {
      auto r = native_cold_start(p, i);
      if (!r) {
        report_error("native hello", r.error());
        break;
      }
      native.push_back(r.value());
    }
    double n = shoal::bench::median(native);
    if (!native.empty())
      std::printf("  %-46s median %9s  p99 %9s\n", "native hello: exec -> first response", fmt_us(n).c_str(),
                  fmt_us(percentile(native, 0.99)).c_str());
    for (const ColdMode& mode : kColdModes) {
      if (!o.shoal || interrupted()) break;
      auto cold = shoal_cold_start(p, o, mode);
      if (!cold) {
        report_error((std::string("shoal scale from zero, ") + mode.label).c_str(), cold.error());
        continue;
      }
      if (cold->us.empty()) continue;
      double s = shoal::bench::median(cold->us), p99 = percentile(cold->us, 0.99);
      std::string label = std::string("shoal at zero -> response (") + mode.label + ")";
      std::printf("  %-46s median %9s  p99 %9s  %.2fx native (median)%s\n", label.c_str(), fmt_us(s).c_str(),
                  fmt_us(p99).c_str(), n > 0 ? s / n : 0,
                  cold->verified ? "" : "  (activations or start kinds not confirmed by metrics)");
      if (cold->spawn_to_ready_us >= 0)
        std::printf("  %-46s mean   %9s\n", "    in shoald: start -> listening", fmt_us(cold->spawn_to_ready_us).c_str());
    }
  }
  std::filesystem::remove_all(p.tmp);
  if (interrupted()) {
    std::printf("interrupted\n");
    return 130;
  }
  return failed || g_stop_failed ? 1 : 0;
}
