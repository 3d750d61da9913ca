// The ready point of a snapshot (abi/hypercall.h `ready`, docs/architecture.md
// "Snapshots"). With BootInfo's kBootSnapshot, the first time every thread is
// blocked while a listening socket is open (on BootInfo::snapshot_port when
// it is not 0), the scheduler makes the `ready` hypercall instead of going
// straight to `block`: the monitor saves the instance there. The call returns
// in the saving instance (kReadySaved, kReadyFailed) and in every instance
// resumed from the snapshot (kReadyResumed); a resumed one re-binds what must
// differ per instance before any thread runs again: the clocks, the entropy
// generator, and the I/O (the channel, the network device) through the hook
// the network registered (io_hooks.hpp).
#pragma once

#include <shoal/abi/boot.h>

namespace libos::sched {

// Arms the ready point when the monitor asked for a snapshot.
void snapshot_init(const shoal::abi::BootInfo& boot);

// Whether the ready point is still to come: one load on the idle path.
extern bool g_ready_armed;

// The idle path (pick_next), when no thread can run: makes the ready
// hypercall if a listening socket qualifies (disarming it for good), and
// re-binds after a resume. true: the hypercall was made (the caller looks for
// work again before it blocks: a resumed instance may have some at once).
bool ready_point();

}  // namespace libos::sched
