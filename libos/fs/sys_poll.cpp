// poll, ppoll.
//
// Readiness only changes when some thread acts (pipes), so poll scans, and
// if nothing is ready sleeps on the file layer's wait queue until a change
// or the deadline, then scans again. With no other thread and no timeout
// the scheduler reports the deadlock (Linux would hang).
#include "core/uaccess.hpp"
#include "fs/fdtable.hpp"
#include "fs/syscalls.hpp"
#include "fs/wait.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

long scan(lx::Pollfd* fds, unsigned long nfds) {
  long ready = 0;
  for (unsigned long i = 0; i < nfds; ++i) {
    int16_t revents = 0;
    if (fds[i].fd >= 0) {
      File* file = fd_get(fds[i].fd);
      if (file == nullptr) {
        revents = lx::POLLNVAL;
      } else {
        int16_t wanted = static_cast<int16_t>(fds[i].events | lx::POLLERR | lx::POLLHUP);
        revents = static_cast<int16_t>(file->poll(fds[i].events) & wanted);
      }
    }
    fds[i].revents = revents;
    if (revents != 0) ++ready;
  }
  return ready;
}

// timeout_ns < 0: no deadline.
long do_poll(lx::Pollfd* fds, unsigned long nfds, int64_t timeout_ns) {
  if (nfds > static_cast<unsigned long>(kMaxFds)) return -EINVAL;
  if (nfds > 0 && !user_writable(fds, nfds * sizeof(lx::Pollfd))) return -EFAULT;
  uint64_t deadline = timeout_ns < 0 ? kNoDeadline : fs_deadline_after(static_cast<uint64_t>(timeout_ns));
  for (;;) {
    long ready = scan(fds, nfds);
    if (ready != 0 || timeout_ns == 0) return ready;
    if (!fs_wait(deadline)) return scan(fds, nfds);
  }
}

}  // namespace

long sys_poll(lx::Pollfd* fds, unsigned long nfds, int timeout_ms) {
  return do_poll(fds, nfds, timeout_ms < 0 ? -1 : static_cast<int64_t>(timeout_ms) * 1000000);
}

long sys_ppoll(lx::Pollfd* fds, unsigned long nfds, const lx::Timespec* timeout, const void* sigmask,
               size_t sigsetsize) {
  int64_t ns = -1;
  if (timeout != nullptr) {
    if (!user_readable(timeout, sizeof(*timeout))) return -EFAULT;
    if (timeout->sec < 0 || timeout->nsec < 0 || timeout->nsec >= 1000000000) return -EINVAL;
    ns = timeout->sec > 1000000000ll ? INT64_MAX : timeout->sec * 1000000000ll + timeout->nsec;
  }
  // Signals are not delivered, so the mask only needs to be well-formed.
  if (sigmask != nullptr && sigsetsize != 8) return -EINVAL;
  return do_poll(fds, nfds, ns);
}
