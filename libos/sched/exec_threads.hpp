// execve in a multi-threaded program: every thread but the caller ends, as
// Linux's de_thread ends them (SIGKILL to the group, then the caller waits).
// A doomed thread leaves at its next way out of the LibOS: a blocked one is
// woken as by a signal (its wait returns -EINTR), a preempted one on its way
// back to program code; both reach exit_doomed() before any program code
// runs again, while the old program's memory is still there (its
// clear_child_tid and robust list are honoured as at any thread exit).
#pragma once

namespace libos::sched {

// Ends every other thread and waits for them (up to a bound: a thread in a
// wait that ignores signals stays doomed and ends when it wakes). The caller
// then takes thread id 1, the process's, as Linux gives the exec'ing thread
// the leader's id.
void end_other_threads();

// The current thread was doomed by another's execve: it ends here.
[[noreturn]] void exit_doomed();

}  // namespace libos::sched
