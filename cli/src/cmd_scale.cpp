// shoal scale SERVICE N|auto [--wait] and shoal down: the two commands that
// change a running pool (POST /v1/scale, POST /v1/down).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.hpp"
#include "control_client.hpp"
#include "pool_commands.hpp"
#include "pool_format.hpp"

namespace shoal::cli {

namespace {

double mono_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, nullptr);
}

const nlohmann::json* find_service(const nlohmann::json& status, const std::string& name) {
  if (!status.contains("services") || !status["services"].is_array()) return nullptr;
  for (const auto& s : status["services"])
    if (json_str(s, "name") == name) return &s;
  return nullptr;
}

// A zombie still answers kill(pid, 0): look at its state too.
bool process_alive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  FILE* f = fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "re");
  if (!f) return false;
  char buf[512];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char* paren = strrchr(buf, ')');
  return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

}  // namespace

int run_scale(const PoolCommands& p) {
  nlohmann::json body = {{"service", p.scale_service}};
  long count = -1;
  if (p.scale_count == "auto") {
    body["auto"] = true;
  } else {
    char* end = nullptr;
    errno = 0;
    count = strtol(p.scale_count.c_str(), &end, 10);
    if (p.scale_count.empty() || *end != '\0' || errno != 0 || count < 0)
      return fail("scale: instances must be a number >= 0 or `auto`, not '" + p.scale_count + "'");
    body["instances"] = count;
  }
  auto socket = find_control_socket(p.control);
  if (!socket) return pool_error(socket.error().message);
  auto answer = control_ok(socket.value(), "POST", "/v1/scale", &body);
  if (!answer) return pool_error(answer.error().message);
  const auto& a = answer.value();
  printf("%s: min %s, max %s%s\n", p.scale_service.c_str(), json_str(a, "min").c_str(),
         json_str(a, "max").c_str(), count < 0 ? " (autoscaling)" : " (pinned)");
  if (!p.wait || count < 0) return 0;

  double deadline = mono_s() + p.wait_timeout;
  for (;;) {
    auto status = control_ok(socket.value(), "GET", "/v1/status");
    if (!status) return pool_error(status.error().message);
    const auto* s = find_service(status.value(), p.scale_service);
    if (s && json_num(*s, "ready") == count && json_num(*s, "starting") == 0 && json_num(*s, "draining") == 0) {
      printf("%s: %ld ready\n", p.scale_service.c_str(), count);
      return 0;
    }
    if (mono_s() > deadline) {
      return pool_error(p.scale_service + ": " + (s ? json_str(*s, "ready", "0") : std::string("0")) + " of " +
                        std::to_string(count) + " instances ready after " + format_duration(p.wait_timeout));
    }
    sleep_ms(100);
  }
}

int run_down(const std::string& control, double timeout_s) {
  auto socket = find_control_socket(control);
  if (!socket) return pool_error(socket.error().message);
  auto status = control_ok(socket.value(), "GET", "/v1/status");
  if (!status) return pool_error(status.error().message);
  auto pid = static_cast<pid_t>(json_num(status.value().value("pool", nlohmann::json::object()), "pid"));
  auto answer = control_ok(socket.value(), "POST", "/v1/down");
  if (!answer) return pool_error(answer.error().message);
  // shoald drains its instances and exits; wait for the process to end.
  double deadline = mono_s() + timeout_s;
  while (pid > 0 && process_alive(pid)) {
    if (mono_s() > deadline)
      return pool_error("shoald (pid " + std::to_string(pid) + ") still running after " + format_duration(timeout_s));
    sleep_ms(50);
  }
  printf("pool stopped\n");
  return 0;
}

}  // namespace shoal::cli
