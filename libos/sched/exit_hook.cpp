#include "sched/exit_hook.hpp"

namespace libos::sched {

namespace {
void nothing() {}
constinit ExitHook g_hook = nothing;
constinit bool g_ran = false;
constinit ExitHook g_fork_child = nothing;
}  // namespace

void set_exit_hook(ExitHook hook) { g_hook = hook; }

void run_exit_hook() {
  if (g_ran) return;
  g_ran = true;
  g_hook();
}

void set_fork_child_hook(ExitHook hook) { g_fork_child = hook; }
void run_fork_child_hook() { g_fork_child(); }

}  // namespace libos::sched
