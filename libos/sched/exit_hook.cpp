#include "sched/exit_hook.hpp"

namespace libos::sched {

namespace {
void nothing() {}
constinit ExitHook g_hook = nothing;
constinit bool g_ran = false;
}  // namespace

void set_exit_hook(ExitHook hook) { g_hook = hook; }

void run_exit_hook() {
  if (g_ran) return;
  g_ran = true;
  g_hook();
}

}  // namespace libos::sched
