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

// In a forked child, before it returns to the program (the fork path, issue
// 14): System V IPC counts the inherited shared memory attachments again
// (shm_nattch) and drops the inherited SEM_UNDO adjustments, as Linux's fork.
void set_fork_child_hook(ExitHook hook);
void run_fork_child_hook();

}  // namespace libos::sched
