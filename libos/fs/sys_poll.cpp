// poll, ppoll.
//
// Readiness only changes when some thread acts (pipes) or the host moves a
// channel socket (the I/O service hook, net::service(), looks first), so poll scans, and if nothing
// is ready sleeps on the file layer's wait queue until a change or the
// deadline, then scans again. With no other thread and no timeout
// the scheduler reports the deadlock (Linux would hang).
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "fs/syscalls.hpp"
#include "vfs/wait.hpp"
#include "sched/io_hooks.hpp"
#include "uapi/poll.hpp"
#include "uapi/signal.hpp"
#include "uapi/time.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

long scan(uapi::Pollfd* fds, unsigned long nfds) {
  long ready = 0;
  for (unsigned long i = 0; i < nfds; ++i) {
    int16_t revents = 0;
    if (fds[i].fd >= 0) {
      File* file = fd_get(fds[i].fd);
      if (file == nullptr) {
        revents = uapi::POLLNVAL;
      } else {
        int16_t wanted = static_cast<int16_t>(fds[i].events | uapi::POLLERR | uapi::POLLHUP);
        revents = static_cast<int16_t>(file->poll(fds[i].events) & wanted);
      }
    }
    fds[i].revents = revents;
    if (revents != 0) ++ready;
  }
  return ready;
}

// timeout_ns < 0: no deadline.
long do_poll(uapi::Pollfd* fds, unsigned long nfds, int64_t timeout_ns) {
  if (nfds > static_cast<unsigned long>(fd_nofile())) return -EINVAL;
  if (nfds > 0 && !user_writable(fds, nfds * sizeof(uapi::Pollfd))) return -EFAULT;
  uint64_t deadline = timeout_ns < 0 ? kNoDeadline : fs_deadline_after(static_cast<uint64_t>(timeout_ns));
  for (;;) {
    sched::service_io();  // the host's new connections and bytes, a due kick
    long ready = scan(fds, nfds);
    if (ready != 0 || timeout_ns == 0) return ready;
    long woken = fs_wait_interruptible(deadline);
    if (woken < 0) return woken;
    if (woken == 0) return scan(fds, nfds);
  }
}

}  // namespace

long sys_poll(uapi::Pollfd* fds, unsigned long nfds, int timeout_ms) {
  return do_poll(fds, nfds, timeout_ms < 0 ? -1 : static_cast<int64_t>(timeout_ms) * 1000000);
}

long sys_ppoll(uapi::Pollfd* fds, unsigned long nfds, const uapi::Timespec* timeout, const void* sigmask,
               size_t sigsetsize) {
  int64_t ns = -1;
  if (timeout != nullptr) {
    if (!user_readable(timeout, sizeof(*timeout))) return -EFAULT;
    if (timeout->sec < 0 || timeout->nsec < 0 || timeout->nsec >= 1000000000) return -EINVAL;
    ns = timeout->sec > 1000000000ll ? INT64_MAX : timeout->sec * 1000000000ll + timeout->nsec;
  }
  // The mask is checked, not applied during the wait (signals reach this
  // thread only at system-call boundaries anyway).
  if (sigmask != nullptr && sigsetsize != sizeof(uapi::KSigset)) return -EINVAL;
  return do_poll(fds, nfds, ns);
}

// select and pselect6: the same scan over bit sets. Linux's masks:
// readable = POLLIN|POLLRDNORM|POLLRDBAND|POLLHUP|POLLERR, writable =
// POLLOUT|POLLWRNORM|POLLWRBAND|POLLERR, exceptional = POLLPRI.
namespace {

constexpr int kSetWords = kMaxFds / 64;
struct FdSets {
  uint64_t in[3][kSetWords];
  uint64_t out[3][kSetWords];
};

long select_scan(int n, FdSets* s) {
  constexpr int16_t kRead = uapi::POLLIN | uapi::POLLRDNORM | uapi::POLLRDBAND | uapi::POLLHUP | uapi::POLLERR;
  constexpr int16_t kWrite = uapi::POLLOUT | uapi::POLLWRNORM | uapi::POLLWRBAND | uapi::POLLERR;
  constexpr int16_t kExcept = uapi::POLLPRI;
  long ready = 0;
  memset(s->out, 0, sizeof(s->out));
  for (int fd = 0; fd < n; ++fd) {
    uint64_t bit = uint64_t{1} << (fd % 64);
    int w = fd / 64;
    bool r = s->in[0][w] & bit, wr = s->in[1][w] & bit, ex = s->in[2][w] & bit;
    if (!r && !wr && !ex) continue;
    File* file = fd_get(fd);
    if (file == nullptr) return -EBADF;
    int16_t events = static_cast<int16_t>((r ? uapi::POLLIN : 0) | (wr ? uapi::POLLOUT : 0) | (ex ? uapi::POLLPRI : 0));
    int16_t got = file->poll(events);
    got = static_cast<int16_t>(got | (file->poll(uapi::POLLIN | uapi::POLLOUT) & (uapi::POLLHUP | uapi::POLLERR)));
    if (r && (got & kRead)) s->out[0][w] |= bit, ++ready;
    if (wr && (got & kWrite)) s->out[1][w] |= bit, ++ready;
    if (ex && (got & kExcept)) s->out[2][w] |= bit, ++ready;
  }
  return ready;
}

// sets: the user's three fd_set pointers (nullptr: none). timeout_ns < 0:
// no deadline. *left_ns gets the time left when the call returns.
long do_select(int n, void* const sets[3], int64_t timeout_ns, int64_t* left_ns) {
  if (n < 0) return -EINVAL;
  if (n > fd_nofile()) n = fd_nofile();
  if (n > kMaxFds) n = kMaxFds;  // FD_SETSIZE: the sets hold no more bits
  size_t bytes = static_cast<size_t>((n + 63) / 64) * 8;
  FdSets local;
  memset(&local, 0, sizeof(local));
  for (int i = 0; i < 3; ++i) {
    if (sets[i] == nullptr || bytes == 0) continue;
    if (!user_writable(sets[i], bytes)) return -EFAULT;
    memcpy(local.in[i], sets[i], bytes);
  }
  uint64_t deadline = timeout_ns < 0 ? kNoDeadline : fs_deadline_after(static_cast<uint64_t>(timeout_ns));
  long ready;
  for (;;) {
    sched::service_io();
    ready = select_scan(n, &local);
    if (ready != 0 || timeout_ns == 0) break;
    long woken = fs_wait_interruptible(deadline);
    if (woken < 0) {
      ready = woken;
      break;
    }
    if (woken == 0) {
      ready = select_scan(n, &local);
      break;
    }
  }
  if (left_ns != nullptr && timeout_ns > 0) {
    uint64_t now = fs_monotonic_ns();
    *left_ns = now >= deadline ? 0 : static_cast<int64_t>(deadline - now);
  }
  if (ready < 0) return ready;
  for (int i = 0; i < 3; ++i) {
    if (sets[i] != nullptr && bytes != 0) memcpy(sets[i], local.out[i], bytes);
  }
  return ready;
}

}  // namespace

long sys_select(int n, void* readfds, void* writefds, void* exceptfds, uapi::Timeval* timeout) {
  int64_t ns = -1;
  if (timeout != nullptr) {
    if (!user_writable(timeout, sizeof(*timeout))) return -EFAULT;
    // Linux normalizes microseconds past a second; only negatives are invalid.
    if (timeout->sec < 0 || timeout->usec < 0) return -EINVAL;
    int64_t sec = timeout->sec + timeout->usec / 1000000;
    ns = sec > 1000000000ll ? INT64_MAX : sec * 1000000000ll + (timeout->usec % 1000000) * 1000;
  }
  void* const sets[3] = {readfds, writefds, exceptfds};
  int64_t left = 0;
  long r = do_select(n, sets, ns, &left);
  if (timeout != nullptr && ns > 0) {
    // Linux reports the time not slept (select(2), "Linux modifies timeout").
    timeout->sec = left / 1000000000;
    timeout->usec = (left % 1000000000) / 1000;
  }
  return r;
}

long sys_pselect6(int n, void* readfds, void* writefds, void* exceptfds, uapi::Timespec* timeout,
                  const void* sigmask_arg) {
  int64_t ns = -1;
  if (timeout != nullptr) {
    if (!user_writable(timeout, sizeof(*timeout))) return -EFAULT;
    if (timeout->sec < 0 || timeout->nsec < 0 || timeout->nsec >= 1000000000) return -EINVAL;
    ns = timeout->sec > 1000000000ll ? INT64_MAX : timeout->sec * 1000000000ll + timeout->nsec;
  }
  // The sixth argument points at {const sigset_t* ss; size_t ss_len}.
  if (sigmask_arg != nullptr) {
    if (!user_readable(sigmask_arg, 16)) return -EFAULT;
    const auto* pair = static_cast<const uint64_t*>(sigmask_arg);
    if (pair[0] != 0 && pair[1] != sizeof(uapi::KSigset)) return -EINVAL;
  }
  void* const sets[3] = {readfds, writefds, exceptfds};
  int64_t left = 0;
  long r = do_select(n, sets, ns, &left);
  if (timeout != nullptr && ns > 0) {
    timeout->sec = left / 1000000000;
    timeout->nsec = left % 1000000000;
  }
  return r;
}
