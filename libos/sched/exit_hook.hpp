// What the layers above want done when the process ends (exit_group, the
// last thread's exit, death by a signal), before the exit hypercall: System
// V IPC undoes its SEM_UNDO adjustments and detaches this process's shared
// memory segments (ipc/, registered at start-up), as Linux's exit does. One
// function pointer, constant-initialized; run at most once.
#pragma once

namespace libos::sched {

using ExitHook = void (*)();
void set_exit_hook(ExitHook hook);
void run_exit_hook();

}  // namespace libos::sched
