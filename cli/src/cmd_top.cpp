// shoal top [-c CONTROL] [--once] [--interval S]: a live per-instance view
// (state, CPU%, RSS, requests per second), redrawn every interval. shoald
// computes the rates over its last one-second sample, so --once is as exact
// as the live view.
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "control_client.hpp"
#include "pool_commands.hpp"
#include "pool_format.hpp"

namespace shoal::cli {

namespace {

volatile sig_atomic_t g_stop = 0;

std::string render(const nlohmann::json& s) {
  std::string out = status_line(s) + "\n\n";
  Table services({"SERVICE", "READY", "DESIRED", "MIN", "MAX", "IN-FLIGHT", "WAITING", "RPS", "RESTARTS"});
  if (s.contains("services") && s["services"].is_array())
    for (const auto& v : s["services"])
      services.add({json_str(v, "name"), json_str(v, "ready", "0"), json_str(v, "desired", "0"),
                    json_str(v, "min", "0"), json_str(v, "max", "0"), json_str(v, "in_flight", "0"),
                    json_str(v, "waiting", "0"), format_rate(json_num(v, "rps")), json_str(v, "restarts", "0")});
  out += services.render() + "\n";
  Table t({"INSTANCE", "STATE", "PID", "CPU%", "RSS", "RPS", "IN-FLIGHT", "REQUESTS", "UPTIME"});
  if (s.contains("instances") && s["instances"].is_array())
    for (const auto& i : s["instances"]) {
      char cpu[32];
      snprintf(cpu, sizeof cpu, "%.1f", json_num(i, "cpu_percent"));
      t.add({json_str(i, "name"), json_str(i, "state"), json_str(i, "pid", "-"), cpu,
             format_bytes(json_num(i, "rss_bytes")), format_rate(json_num(i, "rps")),
             json_str(i, "in_flight", "0"), json_str(i, "requests", "0"),
             format_duration(json_num(i, "uptime_s"))});
    }
  out += t.render();
  return out;
}

}  // namespace

int run_top(const PoolCommands& p) {
  auto socket = find_control_socket(p.control);
  if (!socket) return pool_error(socket.error().message);
  if (p.once) {
    auto status = control_ok(socket.value(), "GET", "/v1/status");
    if (!status) return pool_error(status.error().message);
    fputs(render(status.value()).c_str(), stdout);
    return 0;
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  bool tty = isatty(1);
  double interval = p.interval > 0.1 ? p.interval : 0.1;
  while (!g_stop) {
    auto status = control_ok(socket.value(), "GET", "/v1/status");
    if (!status) {
      if (tty) fputs("\033[?25h", stdout);
      return pool_error(status.error().message);
    }
    // Home + clear screen, then the view: one write, so the screen never
    // shows half a frame.
    std::string frame = (tty ? "\033[H\033[2J" : "") + render(status.value());
    fputs(frame.c_str(), stdout);
    fflush(stdout);
    timespec ts{static_cast<time_t>(interval), static_cast<long>((interval - static_cast<long>(interval)) * 1e9)};
    nanosleep(&ts, nullptr);
  }
  return 0;
}

}  // namespace shoal::cli
