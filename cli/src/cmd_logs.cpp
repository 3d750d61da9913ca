// shoal logs SERVICE[/N] [-f] [-n LINES] [-t]: the output of a service's
// instances (GET /v1/logs), exited ones included with their exit status, in
// time order. -f polls for new lines twice a second, keyed by each line's
// per-instance sequence number, so nothing is printed twice.
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include <algorithm>
#include <map>
#include <set>

#include "control_client.hpp"
#include "pool_commands.hpp"
#include "pool_format.hpp"

namespace shoal::cli {

namespace {

volatile sig_atomic_t g_stop = 0;

struct Printed {
  std::map<uint64_t, uint64_t> next_seq;  // instance id -> first sequence number not printed yet
  std::set<uint64_t> exits;               // instance ids whose exit was printed
};

struct Out {
  double time;
  std::string text;
};

std::string url_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Collects what `doc` has that was not printed yet, marks it printed.
std::vector<Out> new_lines(const nlohmann::json& doc, Printed& printed, bool timestamps) {
  std::vector<Out> out;
  if (!doc.contains("instances") || !doc["instances"].is_array()) return out;
  for (const auto& inst : doc["instances"]) {
    auto id = static_cast<uint64_t>(json_num(inst, "id"));
    std::string name = json_str(inst, "name", "?");
    uint64_t& next = printed.next_seq[id];
    if (inst.contains("lines") && inst["lines"].is_array()) {
      for (const auto& l : inst["lines"]) {
        auto seq = static_cast<uint64_t>(json_num(l, "seq"));
        if (seq < next) continue;
        next = seq + 1;
        std::string prefix = name + " | ";
        if (timestamps) prefix = json_str(l, "time") + " " + prefix;
        out.push_back({json_num(l, "unix_time"), prefix + json_str(l, "text")});
      }
    }
    if (inst.contains("exit") && inst["exit"].is_object() && printed.exits.insert(id).second) {
      const auto& e = inst["exit"];
      std::string prefix = name + " | ";
      if (timestamps) prefix = json_str(e, "time") + " " + prefix;
      out.push_back({json_num(e, "unix_time"), prefix + "-- exited: " + json_str(e, "status", "?")});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Out& a, const Out& b) { return a.time < b.time; });
  return out;
}

}  // namespace

int run_logs(const PoolCommands& p) {
  auto socket = find_control_socket(p.control);
  if (!socket) return pool_error(socket.error().message);
  std::string path = "/v1/logs?instance=" + url_escape(p.logs_target);
  if (p.lines > 0) path += "&lines=" + std::to_string(p.lines);
  Printed printed;
  auto doc = control_ok(socket.value(), "GET", path);
  if (!doc) return pool_error(doc.error().message);
  for (const auto& o : new_lines(doc.value(), printed, p.timestamps)) printf("%s\n", o.text.c_str());
  fflush(stdout);
  if (!p.follow) return 0;

  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // Following asks for every kept line again and prints only the new ones.
  std::string follow_path = "/v1/logs?instance=" + url_escape(p.logs_target);
  while (!g_stop) {
    timespec ts{0, 500 * 1000 * 1000};
    nanosleep(&ts, nullptr);
    auto next = control_ok(socket.value(), "GET", follow_path);
    if (!next) {
      // The pool went away (shoal down): the end of the stream, not an error.
      if (next.error().code == ECONNREFUSED || next.error().code == ENOENT) return 0;
      return pool_error(next.error().message);
    }
    for (const auto& o : new_lines(next.value(), printed, p.timestamps)) printf("%s\n", o.text.c_str());
    fflush(stdout);
  }
  return 0;
}

}  // namespace shoal::cli
