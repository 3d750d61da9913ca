// shoal ps [-c CONTROL] [--json]: one line per instance, from GET /v1/status.
#include <stdio.h>

#include "control_client.hpp"
#include "pool_commands.hpp"
#include "pool_format.hpp"

namespace shoal::cli {

int pool_error(const std::string& message) {
  fprintf(stderr, "shoal: %s\n", message.c_str());
  return 1;
}

namespace {

std::string health(const nlohmann::json& i) {
  auto it = i.find("healthy");
  if (it == i.end() || !it->is_boolean()) return "-";
  return it->get<bool>() ? "ok" : "failing";
}

}  // namespace

int run_ps(const std::string& control, bool json) {
  auto socket = find_control_socket(control);
  if (!socket) return pool_error(socket.error().message);
  auto status = control_ok(socket.value(), "GET", "/v1/status");
  if (!status) return pool_error(status.error().message);
  const auto& s = status.value();
  if (json) {
    printf("%s\n", s.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  printf("%s\n", status_line(s).c_str());
  Table t({"INSTANCE", "STATE", "START", "HEALTH", "PID", "UPTIME", "IN-FLIGHT", "REQUESTS", "RPS", "CPU", "RSS",
           "RESTARTS"});
  if (s.contains("instances") && s["instances"].is_array()) {
    for (const auto& i : s["instances"]) {
      t.add({json_str(i, "name"), json_str(i, "state"), json_str(i, "start", "-"), health(i), json_str(i, "pid", "-"),
             format_duration(json_num(i, "uptime_s")), json_str(i, "in_flight", "0"),
             json_str(i, "requests", "0"), format_rate(json_num(i, "rps")),
             format_cpu(json_num(i, "cpu_seconds")), format_bytes(json_num(i, "rss_bytes")),
             json_str(i, "restarts", "0")});
    }
  }
  fputs(t.render().c_str(), stdout);
  return 0;
}

}  // namespace shoal::cli
