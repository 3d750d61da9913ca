// shoald SPEC [--control PATH] [-v] [--ready-fd FD] [--vmm PATH] [--max-starting N]
//
// The service pool daemon: reads and validates the spec (errors as
// file:line: key: why, exit 2), starts the gateway, the control socket, the
// admin listener (if the spec asks for one) and each service's instances,
// and prints one line once the gateway listens and the initial instances are
// ready. SIGTERM/SIGINT (or POST /v1/down) stop it gracefully: the gateway
// stops accepting, every instance drains, leftovers are killed after a
// bound, and shoald exits 0. A second signal stops it at once.
//
// Exit status: 0 after a graceful stop, 1 when it cannot start (a port in
// use, a pool already running on the control socket, no shoal-vmm), 2 for
// usage and spec errors.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <limits.h>

#include <algorithm>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <shoal/pool/metrics/prometheus.hpp>
#include <shoal/pool/spec/spec.hpp>

#include "api_server.hpp"
#include "control_api.hpp"
#include "event_loop.hpp"
#include "gateway/gateway.hpp"
#include "host_limits.hpp"
#include "monitor_process.hpp"
#include "pool_metrics.hpp"
#include "supervisor.hpp"

namespace shoal::pool {
namespace {

constexpr int kExitStart = 1;
constexpr int kExitUsage = 2;

struct Options {
  std::string spec;
  std::string control;
  std::string vmm;
  int ready_fd = -1;
  uint32_t max_starting = 0;  // 0: SupervisorConfig's default
  bool verbose = false;
  bool no_zygote = false;
};

int fail(int status, const std::string& message) {
  fprintf(stderr, "shoald: %s\n", message.c_str());
  return status;
}

std::string absolute(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

// Every client connection and instance costs descriptors (one per
// instance: its channel's to_guest eventfd, host_limits.hpp): a pool with the default soft limit (1024) would run out long
// before its host does. The soft limit goes up to the hard one; as root
// (CAP_SYS_RESOURCE) the hard one goes up to kWantedFds first, within
// fs.nr_open, so 10,000 instances and their clients fit.
constexpr rlim_t kWantedFds = 1 << 20;

rlim_t nr_open() {
  FILE* f = fopen("/proc/sys/fs/nr_open", "re");
  unsigned long long v = 0;
  if (f) {
    if (fscanf(f, "%llu", &v) != 1) v = 0;
    fclose(f);
  }
  return v ? static_cast<rlim_t>(v) : 1024 * 1024;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t before = rl.rlim_cur;
  rlim_t want = std::min(kWantedFds, nr_open());
  if (rl.rlim_max < want) {
    rlimit raised{want, want};
    // Else not privileged (no CAP_SYS_RESOURCE, as in many containers): the
    // hard limit stays, and check_host_limits says what it allows.
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      fprintf(stderr, "shoald: cannot raise the descriptor limit from %llu to %llu: %s\n",
              static_cast<unsigned long long>(before), static_cast<unsigned long long>(rl.rlim_max), strerror(errno));
      return;
    }
  }
  fprintf(stderr, "shoald: descriptor limit %llu (was %llu)\n", static_cast<unsigned long long>(rl.rlim_cur),
          static_cast<unsigned long long>(before));
}

// Gateway counters next to the per-service families.
void append_gateway_metrics(const Gateway& gw, std::string& out) {
  const GatewayStats& s = gw.stats();
  size_t open_clients = gw.open_clients();
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
           std::to_string(v) + "\n";
  };
  counter("shoal_gateway_connections_total", "Client connections accepted.", s.accepted);
  counter("shoal_gateway_requests_total", "Client requests parsed.", s.requests);
  counter("shoal_gateway_client_errors_total", "Requests the gateway answered 4xx itself.", s.client_errors);
  counter("shoal_gateway_upstream_errors_total", "Requests answered 502, 503 or 504.", s.upstream_errors);
  counter("shoal_gateway_retries_total", "Requests retried on another instance.", s.retries);
  counter("shoal_gateway_splices_total", "Guest-opened connections spliced to a service.", s.splices);
  counter("shoal_gateway_idle_closed_total", "Idle keep-alive connections closed to admit new ones at the limit.",
          s.idle_closed);
  counter("shoal_gateway_accept_paused_total", "Times the gateway stopped accepting (at max_connections or out of descriptors).",
          s.accept_paused);
  out += "# HELP shoal_gateway_open_connections Client connections open.\n"
         "# TYPE shoal_gateway_open_connections gauge\nshoal_gateway_open_connections " +
         std::to_string(open_clients) + "\n";
  out += "# HELP shoal_gateway_max_connections Client connections the gateway keeps open at most.\n"
         "# TYPE shoal_gateway_max_connections gauge\nshoal_gateway_max_connections " +
         std::to_string(gw.max_connections()) + "\n";
}

int run(const Options& o) {
  auto loaded = spec::load_spec(o.spec);
  if (!loaded) {
    fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return kExitUsage;
  }
  const spec::Spec& spec = loaded.value();
  raise_fd_limit();
  // The host must allow what the initial instances need: a clear refusal
  // now, naming the setting, rather than instances failing one by one.
  uint64_t initial = 0;
  for (const auto& s : spec.services) initial += s.initial_instances;
  bool refused = false;
  for (const auto& p : check_host_limits(read_host_limits(), initial)) {
    fprintf(stderr, "shoald: %s: %s\n", p.fatal ? "error" : "warning", p.message.c_str());
    refused = refused || p.fatal;
  }
  if (refused) return fail(kExitStart, "this host cannot run the pool's " + std::to_string(initial) +
                                           " initial instances (see above; docs/architecture.md, \"Host limits\")");
  std::string vmm = !o.vmm.empty() ? o.vmm : own_exe_dir() + "/shoal-vmm";
  if (const char* env = getenv("SHOAL_VMM"); o.vmm.empty() && env && *env) vmm = env;
  std::string control = !o.control.empty() ? o.control : spec.gateway.control;

  // Signals arrive through a signalfd in the loop; nothing runs in a handler.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd < 0) return fail(kExitStart, std::string("signalfd: ") + strerror(errno));

  auto loop_r = EventLoop::create();
  if (!loop_r) return fail(kExitStart, loop_r.error().message);
  EventLoop& loop = *loop_r.value();
  auto metrics_r = PoolMetrics::create();
  if (!metrics_r) return fail(kExitStart, metrics_r.error().message);
  PoolMetrics& metrics = *metrics_r.value();

  // Both read the spec directly for as long as they run (it lives in `loaded`).
  SupervisorConfig sc;
  sc.vmm_path = vmm;
  sc.verbose = o.verbose;
  if (o.max_starting) sc.max_starting = o.max_starting;
  sc.zygotes = !o.no_zygote;
  // A request may take request_timeout; draining waits that long, then a little.
  sc.drain_timeout = spec.gateway.request_timeout + kDrainGrace;
  auto supervisor = std::make_unique<Supervisor>(loop, spec, std::move(sc), metrics);
  auto gateway = std::make_unique<Gateway>(loop, *supervisor, spec);
  supervisor->set_capacity_listener(gateway.get());
  Gateway* gw = gateway.get();
  supervisor->channels().set_guest_connect([gw](Instance& from, uint32_t slot, uint32_t service, uint32_t port) {
    gw->on_guest_connect(from, slot, service, port);
  });
  if (auto r = gateway->start(); !r) return fail(kExitStart, spec.where("gateway.listen") + ": " + r.error().message);

  int exit_status = 0;
  bool stopping = false;
  std::unique_ptr<ApiServer> control_server, admin_server;
  auto stop = [&](const char* why) {
    if (stopping) return;
    stopping = true;
    fprintf(stderr, "shoald: %s: stopping (draining instances)\n", why);
    gateway->stop_accepting();
    if (admin_server) admin_server->close_listener();
    supervisor->shutdown(supervisor->config().drain_timeout, [&loop] { loop.stop(); });
  };

  PoolInfo info;
  info.name = spec.name;
  info.spec = absolute(o.spec);
  info.gateway = "http://" + spec.gateway.listen.host + ":" + std::to_string(gateway->port());
  info.control = control;
  info.pid = getpid();
  if (spec.gateway.admin) {
    auto admin = ApiServer::listen_tcp(
        loop, spec.gateway.admin->host + ":" + std::to_string(spec.gateway.admin->port),
        [&](const ApiRequest& req) -> ApiResponse {
          if (req.path == "/healthz") return {200, "text/plain", stopping ? "stopping\n" : "ok\n"};
          if (req.path != "/metrics") return {404, "text/plain", "not found: try /metrics or /healthz\n"};
          supervisor->update_gauges();
          std::string text = metrics.render();
          append_gateway_metrics(*gateway, text);
          return {200, std::string(metrics::kPrometheusContentType), std::move(text)};
        });
    if (!admin) return fail(kExitStart, spec.where("gateway.admin") + ": " + admin.error().message);
    admin_server = std::move(admin.value());
    info.admin = "http://" + admin_server->address();
  }
  ControlApi api(*supervisor, info, [&] { loop.defer([&] { stop("stop requested (control API)"); }); });
  auto ctl = ApiServer::listen_unix(loop, control, [&](const ApiRequest& req) { return api.handle(req); });
  if (!ctl) return fail(kExitStart, spec.where("gateway.control") + ": " + ctl.error().message);
  control_server = std::move(ctl.value());

  (void)loop.add(sigfd, EPOLLIN, [&](uint32_t) {
    signalfd_siginfo si;
    while (read(sigfd, &si, sizeof si) == sizeof si) {
      if (!stopping) {
        stop(strsignal(static_cast<int>(si.ssi_signo)));
      } else {
        // Asked twice: stop now. The supervisor's destructor kills the rest.
        fprintf(stderr, "shoald: stopping now\n");
        exit_status = 1;
        loop.stop();
      }
    }
  });

  if (auto r = supervisor->start(); !r) return fail(kExitStart, r.error().message);

  // The ready line, once every service has its initial instances; until
  // then a progress line a second, so that `shoal up -d` waits as long as
  // instances keep coming up (10,000 take longer than 100) and can say so.
  uint64_t t0 = EventLoop::now_ns();
  uint64_t last_progress = t0;
  if (o.ready_fd >= 0) fcntl(o.ready_fd, F_SETFL, O_NONBLOCK);  // a reader gone slow never blocks the loop
  std::function<void()> check_ready = [&] {
    if (stopping) return;
    if (!supervisor->initial_ready()) {
      uint64_t now = EventLoop::now_ns();
      if (o.ready_fd >= 0 && now - last_progress >= 1'000'000'000ull) {
        last_progress = now;
        auto p = supervisor->initial_progress();
        nlohmann::json j = {{"ready", p.ready}, {"wanted", p.wanted}, {"starting", p.starting},
                            {"elapsed_s", static_cast<double>(now - t0) / 1e9}};
        std::string line = "progress " + j.dump() + "\n";
        (void)!write(o.ready_fd, line.data(), line.size());
      }
      loop.after(2'000'000, check_ready);
      return;
    }
    size_t instances = 0;
    for (const auto& rt : supervisor->services()) instances += rt->service.instances.size();
    fprintf(stderr, "shoald: gateway %s  control %s%s  (pool %s: %zu services, %zu instances ready in %.0f ms)\n",
            info.gateway.c_str(), control.c_str(), info.admin.empty() ? "" : ("  admin " + info.admin).c_str(),
            spec.name.c_str(), supervisor->services().size(), instances,
            static_cast<double>(EventLoop::now_ns() - t0) / 1e6);
    if (o.ready_fd >= 0) {
      nlohmann::json j = {{"name", info.name}, {"gateway", info.gateway}, {"control", control},
                          {"admin", info.admin}, {"pid", info.pid}};
      std::string line = "ready " + j.dump() + "\n";
      (void)!write(o.ready_fd, line.data(), line.size());
      close(o.ready_fd);
    }
  };
  loop.defer(check_ready);

  loop.run();

  // Teardown order: the listeners, then the gateway (its connections
  // reference instances), then the supervisor (kills and reaps what is left).
  admin_server.reset();
  control_server.reset();
  supervisor->set_capacity_listener(nullptr);
  supervisor->channels().set_guest_connect(nullptr);
  gateway.reset();
  supervisor.reset();
  close(sigfd);
  if (exit_status == 0) fprintf(stderr, "shoald: stopped\n");
  return exit_status;
}

}  // namespace
}  // namespace shoal::pool

int main(int argc, char** argv) {
  shoal::pool::Options o;
  CLI::App app{"shoald: runs a service pool of shoal unikernel instances from a spec file", "shoald"};
  app.add_option("spec", o.spec, "Pool spec (TOML, see docs/spec.md)")->required();
  app.add_option("--control", o.control, "Control socket path (default: the spec's)");
  app.add_option("--vmm", o.vmm, "shoal-vmm to run instances with (default: next to shoald, or $SHOAL_VMM)");
  app.add_option("--ready-fd", o.ready_fd, "Write one line \"ready {json}\" to this descriptor when ready");
  app.add_flag("-v,--verbose", o.verbose, "Log instance events and instance output");
  app.add_flag("--no-zygote", o.no_zygote,
               "Start every snapshot instance by spawning shoal-vmm, not by forking a template monitor (for "
               "comparison)");
  app.add_option("--max-starting", o.max_starting,
                 "Instances starting at once at most, all services (default 512; a guard on the host's run queue "
                 "while guests boot)")
      ->check(CLI::Range(1u, 100000u));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : shoal::pool::kExitUsage;
  }
  if (o.ready_fd >= 0) fcntl(o.ready_fd, F_SETFD, FD_CLOEXEC);  // not for the monitors
  return shoal::pool::run(o);
}
