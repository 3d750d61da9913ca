#include "pool_commands.hpp"

#include <CLI/CLI.hpp>

namespace shoal::cli {

void add_pool_commands(CLI::App& app, PoolCommands& p) {
  auto control = [&p](CLI::App* sub) {
    sub->add_option("-c,--control", p.control,
                    "Control socket of the pool (default: the only pool running)");
  };
  p.up_cmd = app.add_subcommand("up", "Run a service pool from a spec file");
  p.up_cmd->add_option("spec", p.up.spec, "Pool spec (TOML)")->required();
  p.up_cmd->add_flag("-d,--detach", p.up.detach, "Run in the background; return once the pool is ready");
  p.up_cmd->add_option("-c,--control", p.up.control, "Control socket path (default: from the spec)");
  p.up_cmd->add_option("--ready-timeout", p.up.ready_timeout, "-d gives up when no instance became ready for this many seconds (default 60)");
  p.up_cmd->add_flag("-v,--verbose", p.up.verbose, "shoald logs instance events");
  p.up_cmd->add_flag("--no-zygote", p.up.no_zygote,
                     "start snapshot instances by spawning shoal-vmm rather than forking a template monitor "
                     "(for comparison)");

  p.ps_cmd = app.add_subcommand("ps", "List the pool's instances");
  control(p.ps_cmd);
  p.ps_cmd->add_flag("--json", p.json, "Print the control API's status document");

  p.logs_cmd = app.add_subcommand("logs", "Print the output of a service's instances (and crash reports)");
  control(p.logs_cmd);
  p.logs_cmd->add_option("target", p.logs_target, "SERVICE or SERVICE/N")->required();
  p.logs_cmd->add_flag("-f,--follow", p.follow, "Keep printing new lines");
  p.logs_cmd->add_option("-n,--lines", p.lines, "Only the last N lines of each instance");
  p.logs_cmd->add_flag("-t,--timestamps", p.timestamps, "Prefix each line with its time");

  p.scale_cmd = app.add_subcommand("scale", "Pin a service to N instances (or `auto` for the spec's autoscaling)");
  control(p.scale_cmd);
  p.scale_cmd->add_option("service", p.scale_service, "Service name")->required();
  p.scale_cmd->add_option("instances", p.scale_count, "Number of instances, or auto")->required();
  p.scale_cmd->add_flag("-w,--wait", p.wait, "Wait until that many instances are ready");
  p.scale_cmd->add_option("--timeout", p.wait_timeout, "Seconds --wait waits (default 60)");

  p.down_cmd = app.add_subcommand("down", "Stop the pool gracefully (drains every instance)");
  control(p.down_cmd);
  p.down_cmd->add_option("--timeout", p.wait_timeout, "Seconds to wait for shoald to exit (default 60)");

  p.top_cmd = app.add_subcommand("top", "Live per-instance view: state, CPU, memory, requests per second");
  control(p.top_cmd);
  p.top_cmd->add_flag("--once", p.once, "Print one view and exit");
  p.top_cmd->add_option("--interval", p.interval, "Seconds between refreshes (default 1)");
}

int run_pool_command(const PoolCommands& p) {
  if (p.up_cmd && *p.up_cmd) return run_up(p.up);
  if (p.ps_cmd && *p.ps_cmd) return run_ps(p.control, p.json);
  if (p.logs_cmd && *p.logs_cmd) return run_logs(p);
  if (p.scale_cmd && *p.scale_cmd) return run_scale(p);
  if (p.down_cmd && *p.down_cmd) return run_down(p.control, p.wait_timeout);
  if (p.top_cmd && *p.top_cmd) return run_top(p);
  return -1;
}

}  // namespace shoal::cli
