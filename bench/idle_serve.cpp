// bench/idle_serve: serving a pool of many mostly idle instances (issue 13,
// "Density"), round robin against warm_first, each against 4 instances.
//
//   idle_serve BUILD_DIR [--counts 4,200,2000] [--policies round_robin,warm_first]
//                        [--duration S] [--connections C] [--memory 64M] [--warm-load N]
//
// For each instance count K and each policy: `shoal up` of the hello service
// (examples/shop/hello) with min = max = K, then a 2 s warm-up and
// `wrk -t1 -cC -dSs --latency` through the gateway. Printed per run: requests
// per second and p99, each as a ratio against the first run (4 instances,
// round robin, measured in this same run), the instances that served at least
// one request, and the machine's CPU time per request (all cores busy time
// from /proc/stat over the wrk run, wrk's own included: the figure compares
// policies, it is not shoal's cost alone).
//
// The 10,000-instance run belongs here, not in `make test`: `--counts
// 4,10000`. shoald holds 5 descriptors per instance, so the host must let it
// open ~51,000 (shoald raises its hard RLIMIT_NOFILE as root, which takes
// CAP_SYS_RESOURCE); shoald refuses a spec it cannot start and says why.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pool_http.hpp"
#include "pool_proc.hpp"
#include "pool_shoal.hpp"
#include "pool_wrk.hpp"

using namespace shoal;
using namespace shoal::bench::pool;

namespace {

struct Options {
  std::string build;
  std::vector<int> counts{4, 200, 2000};
  std::vector<std::string> policies{"round_robin", "warm_first"};
  std::string memory = "64M";
  int warm_load = 0;
  WrkOptions wrk{1, 32, 6};
};

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s BUILD_DIR [--counts 4,200,2000] [--policies round_robin,warm_first]\n"
               "       [--duration S] [--connections C] [--memory 64M] [--warm-load N]\n",
               argv0);
  std::exit(2);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) usage(argv[0]);
  o.build = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage(argv[0]);
    std::string v = argv[++i];
    auto positive = [&](const std::string& text) {
      int n = std::atoi(text.c_str());
      if (n <= 0) usage(argv[0]);
      return n;
    };
    if (a == "--counts") {
      o.counts.clear();
      for (auto& c : split(v)) o.counts.push_back(positive(c));
    } else if (a == "--policies") {
      o.policies = split(v);
    } else if (a == "--duration") {
      o.wrk.seconds = positive(v);
    } else if (a == "--connections") {
      o.wrk.connections = positive(v);
    } else if (a == "--memory") {
      o.memory = v;
    } else if (a == "--warm-load") {
      o.warm_load = positive(v);
    } else {
      usage(argv[0]);
    }
  }
  if (o.counts.empty() || o.policies.empty()) usage(argv[0]);
  return o;
}

std::string fmt_us(double us) {
  char buf[32];
  if (us >= 10000) std::snprintf(buf, sizeof buf, "%.1f ms", us / 1000);
  else if (us >= 1000) std::snprintf(buf, sizeof buf, "%.2f ms", us / 1000);
  else std::snprintf(buf, sizeof buf, "%.0f us", us);
  return buf;
}

// Busy time of all cores (user, nice, system, irq, softirq, steal), in
// seconds, from the first line of /proc/stat.
double busy_cpu_seconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Per instance id, its "requests" counter, from `shoal ps --json`.
std::map<uint64_t, double> instance_requests(const std::string& shoal, const std::string& control) {
  // Through a file: the status of thousands of instances is more than
  // run_bounded() captures (1 MiB).
  std::string path = control + ".ps.json";
  Finished f = run_bounded({"/bin/sh", "-c", "exec \"$0\" ps --json -c \"$1\" >\"$2\"", shoal, control, path}, 30000);
  std::map<uint64_t, double> out;
  if (f.status != 0) return out;
  auto doc = nlohmann::json::parse(read_file(path, 64 << 20), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc["instances"].is_array()) return out;
  for (const auto& i : doc["instances"])
    if (i.is_object() && i["id"].is_number() && i["requests"].is_number())
      out[i["id"].get<uint64_t>()] = i["requests"].get<double>();
  return out;
}

struct Run {
  int count = 0;
  std::string policy;
  WrkResult wrk;
  int served_by = -1;         // instances with at least one request in the run
  double cpu_us_per_request = 0;
  double up_seconds = 0;      // `shoal up` until every instance was ready
};

Result<Run> measure(const Options& o, const std::string& shoal, const std::string& image, const std::string& dir,
                    int count, const std::string& policy) {
  Run run{count, policy};
  HelloPool pool{dir, image, TRY(free_port()), TRY(free_port()), count};
  pool.memory = o.memory;
  pool.balance = policy;
  if (policy == "warm_first") pool.warm_load = o.warm_load;
  double t0 = now_us();
  // Starting takes ~5-10 ms per instance here: allow 50 ms each, at least a minute.
  int up_ms = std::max(60000, count * 50);
  RunningPool running = TRY(RunningPool::up(shoal, pool, "idle-" + std::to_string(count) + "-" + policy, up_ms));
  run.up_seconds = (now_us() - t0) / 1e6;
  if (!wait_http_ok(pool.listen, "/", 10000)) return make_error("the gateway does not answer GET / with 200");
  // A mass start leaves work behind it for a few seconds (the last guests'
  // first steps, the host reclaiming the starters' memory): let it pass, 5 s
  // per 1,000 instances, so that it is not measured as serving.
  std::this_thread::sleep_for(std::chrono::milliseconds(count * 5));
  std::string url = "http://127.0.0.1:" + std::to_string(pool.listen) + "/";
  WrkOptions warm = o.wrk;
  warm.seconds = 2;
  TRY(run_wrk(url, warm));
  std::map<uint64_t, double> before = instance_requests(shoal, running.control());
  double cpu0 = busy_cpu_seconds();
  run.wrk = TRY(run_wrk(url, o.wrk));
  double cpu = busy_cpu_seconds() - cpu0;
  std::map<uint64_t, double> after = instance_requests(shoal, running.control());
  if (run.wrk.requests > 0) run.cpu_us_per_request = cpu * 1e6 / static_cast<double>(run.wrk.requests);
  if (!after.empty()) {
    run.served_by = 0;
    for (auto [id, requests] : after) run.served_by += requests > (before.count(id) ? before[id] : 0);
  }
  TRY(running.down());
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  install_signal_cleanup();
  char tmpl[] = "/tmp/shoal-bench-idle-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    return 1;
  }
  std::string shoal = o.build + "/bin/shoal";
  std::string image = std::filesystem::absolute(o.build + "/examples/shop/hello.shoal");
  for (auto& f : {shoal, image}) {
    if (access(f.c_str(), R_OK) != 0) {
      std::fprintf(stderr, "idle_serve: %s is missing (build the tree first)\n", f.c_str());
      std::filesystem::remove_all(tmpl);
      return 1;
    }
  }
  std::printf("idle_serve: hello (memory %s) behind the gateway, wrk -t%d -c%d -d%ds --latency, %ld cores, "
              "load %s\n",
              o.memory.c_str(), o.wrk.threads, o.wrk.connections, o.wrk.seconds, sysconf(_SC_NPROCESSORS_ONLN),
              read_file("/proc/loadavg").substr(0, 14).c_str());
  std::vector<Run> runs;
  bool failed = false;
  for (int count : o.counts) {
    for (const std::string& policy : o.policies) {
      if (interrupted()) break;
      std::string dir = std::string(tmpl) + "/" + std::to_string(count) + "-" + policy;
      std::filesystem::create_directories(dir);
      auto r = measure(o, shoal, image, dir, count, policy);
      if (!r) {
        std::printf("  %6d instances, %-12s FAILED: %s\n", count, policy.c_str(), r.error().message.c_str());
        failed = true;
        continue;
      }
      runs.push_back(r.value());
      const Run& x = runs.back();
      const Run& base = runs.front();
      std::printf("  %6d instances, %-12s %8.0f rps %5.2fx   p99 %-9s %5.2fx   served by %5d   %5.0f us CPU/request"
                  "   (up in %.2f s)\n",
                  count, policy.c_str(), x.wrk.rps, base.wrk.rps > 0 ? x.wrk.rps / base.wrk.rps : 0,
                  fmt_us(x.wrk.p99_us).c_str(), base.wrk.p99_us > 0 ? x.wrk.p99_us / base.wrk.p99_us : 0,
                  x.served_by, x.cpu_us_per_request, x.up_seconds);
      if (x.wrk.socket_errors || x.wrk.non_2xx)
        std::printf("    (errors: %ld socket, %ld non-2xx of %ld requests)\n", x.wrk.socket_errors, x.wrk.non_2xx,
                    x.wrk.requests);
      std::fflush(stdout);
    }
  }
  if (!runs.empty())
    std::printf("  ratios against the first row (%d instances, %s); target over 10,000 instances: >= 0.5x "
                "throughput and p99 <= 10 ms\n",
                runs.front().count, runs.front().policy.c_str());
  std::filesystem::remove_all(tmpl);
  if (interrupted()) return 130;
  return failed ? 1 : 0;
}
