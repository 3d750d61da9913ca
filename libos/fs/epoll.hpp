// epoll: an interest list of (file, fd) pairs and a ready list fed by
// readiness callbacks, as Linux's fs/eventpoll.c.
//
// Each registered item is a FileWatch on its file (vfs/file.hpp). A file that
// changes calls notify(events); the item, if the events concern it, joins its
// epoll's ready list and wakes the threads in epoll_wait. A wait takes the
// ready list, polls only those files, reports what holds, and keeps
// level-triggered items that are still ready for the next wait. The cost of a
// wait is O(ready items), never O(registered items).
#pragma once

#include <stdint.h>

#include "vfs/file.hpp"
#include "uapi/epoll.hpp"

namespace libos::fs {


using uapi::EpollEvent;

// A new epoll instance (one reference); -ENOMEM.
long epoll_create(File** out);
// EPOLL_CTL_ADD/MOD/DEL of (target, fd) on ep, which must be an epoll file.
// event is in LibOS memory (nullptr for DEL). Returns 0 or -errno.
long epoll_ctl(File* ep, int op, int fd, File* target, const EpollEvent* event);
// Waits until an event, the monotonic deadline or a signal. events is a
// checked user array of maxevents > 0 entries. Returns the count, 0 on
// timeout, or -EINTR.
long epoll_wait(File* ep, EpollEvent* events, int maxevents, uint64_t deadline);

}  // namespace libos::fs
