// The pool subcommands of `shoal`: up, ps, logs, scale, down, top. They talk
// to shoald over its control API (docs/control-api.md); `up` starts it.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace shoal::cli {

struct UpCommand {
  std::string spec;
  std::string control;         // passed to shoald as --control
  bool detach = false;
  bool verbose = false;
  bool no_zygote = false;      // shoald --no-zygote: snapshot starts spawn shoal-vmm (for comparison)
  double ready_timeout = 60;   // -d gives up after this many seconds without progress
};

struct PoolCommands {
  std::string control;  // -c/--control, shared by every pool subcommand
  UpCommand up;
  bool json = false;    // ps --json
  std::string logs_target;
  bool follow = false;
  int lines = 0;        // logs -n (0 = all kept)
  bool timestamps = false;
  std::string scale_service;
  std::string scale_count;  // a number, or "auto"
  bool wait = false;
  double wait_timeout = 60;
  bool once = false;    // top --once
  double interval = 1;  // top refresh
  CLI::App* up_cmd = nullptr;
  CLI::App* ps_cmd = nullptr;
  CLI::App* logs_cmd = nullptr;
  CLI::App* scale_cmd = nullptr;
  CLI::App* down_cmd = nullptr;
  CLI::App* top_cmd = nullptr;
};

// Adds the subcommands to `app`; `p` receives their options.
void add_pool_commands(CLI::App& app, PoolCommands& p);
// Runs the pool subcommand that was parsed, if any; -1 when none was.
int run_pool_command(const PoolCommands& p);

// Prints "shoal: <message>" to stderr and returns 1 (a runtime failure: no
// pool, shoald refused; usage errors return 2 as elsewhere in the CLI).
int pool_error(const std::string& message);

int run_up(const UpCommand& c);
int run_ps(const std::string& control, bool json);
int run_logs(const PoolCommands& p);
int run_scale(const PoolCommands& p);
int run_down(const std::string& control, double timeout_s);
int run_top(const PoolCommands& p);

}  // namespace shoal::cli
