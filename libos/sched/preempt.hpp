// Time slices the monitor enforces (abi HcPreempt; docs/architecture.md,
// "Preemption"). Threads stay green threads on one vCPU, but one that runs
// program code past its slice is interrupted: the monitor enters the fault
// upcall with kPreemptVector and sched/signal_fault.cpp yields on its behalf,
// then delivers the asynchronous signals pending for it and resumes it with
// every register as it was. In the LibOS the slice's end only sets
// `pending`, which the next system-call exit honours (signal_attention).
#pragma once

#include <shoal/abi/hypercall.h>
#include <stdint.h>

extern "C" shoal::abi::PreemptArea shoal_preempt_area;

namespace libos::sched {

// The time slice: Linux's CFS gives a CPU-bound thread a few ms; 10 ms keeps
// the cost (one exit per slice, ~60 us on PVM) under 1%.
inline constexpr uint64_t kSliceNs = 10'000'000;

// Turns time slices on (the first clone): registers the fault upcall and the
// area. Two exits, once per instance.
void preempt_enable();
// Tells the monitor how many threads could run now (runnable, or waiting with
// a deadline); asks it to start the timer when that passes 1 and it is off.
void preempt_publish(uint32_t ready);
// One more thread became runnable outside the scheduler's scan.
void preempt_note_wake();

}  // namespace libos::sched
