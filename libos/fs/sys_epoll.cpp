// epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
// epoll_pwait2 (the machinery is in fs/epoll.cpp).
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "fs/epoll.hpp"
#include "vfs/fdtable.hpp"
#include "fs/syscalls.hpp"
#include "vfs/wait.hpp"
#include "uapi/epoll.hpp"
#include "uapi/signal.hpp"
#include "uapi/time.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

constexpr int kMaxEvents = uapi::EP_MAX_EVENTS;

long do_wait(int epfd, EpollEvent* events, int maxevents, int64_t timeout_ns) {
  if (maxevents <= 0 || maxevents > kMaxEvents) return -EINVAL;
  if (!user_writable(events, static_cast<size_t>(maxevents) * sizeof(EpollEvent))) return -EFAULT;
  File* ep = fd_get(epfd);
  if (ep == nullptr) return -EBADF;
  if (ep->kind() != FileKind::epoll) return -EINVAL;
  uint64_t deadline = timeout_ns < 0 ? kNoDeadline : fs_deadline_after(static_cast<uint64_t>(timeout_ns));
  FileRef hold(ep);
  return epoll_wait(ep, events, maxevents, deadline);
}

// The signal mask of epoll_pwait is checked, not applied during the wait (as
// ppoll here: signals reach a thread only at system-call boundaries anyway).
long check_sigmask(const void* sigmask, size_t sigsetsize) {
  if (sigmask != nullptr && sigsetsize != sizeof(uapi::KSigset)) return -EINVAL;
  if (sigmask != nullptr && !user_readable(sigmask, sizeof(uapi::KSigset))) return -EFAULT;
  return 0;
}

}  // namespace

long sys_epoll_create1(int flags) {
  if (flags & ~uapi::EPOLL_CLOEXEC) return -EINVAL;
  File* ep = nullptr;
  long err = epoll_create(&ep);
  if (err < 0) return err;
  long fd = fd_install(ep, (flags & uapi::EPOLL_CLOEXEC) != 0);
  if (fd < 0) ep->put();
  return fd;
}

long sys_epoll_create(int size) {
  if (size <= 0) return -EINVAL;
  return sys_epoll_create1(0);
}

long sys_epoll_ctl(int epfd, int op, int fd, const void* event) {
  EpollEvent ev{};
  if (op != uapi::EPOLL_CTL_DEL) {
    if (!user_readable(event, sizeof(EpollEvent))) return -EFAULT;
    memcpy(&ev, event, sizeof(ev));
  }
  File* ep = fd_get(epfd);
  if (ep == nullptr) return -EBADF;
  File* target = fd_get(fd);
  if (target == nullptr) return -EBADF;
  return epoll_ctl(ep, op, fd, target, op == uapi::EPOLL_CTL_DEL ? nullptr : &ev);
}

long sys_epoll_wait(int epfd, void* events, int maxevents, int timeout_ms) {
  return do_wait(epfd, static_cast<EpollEvent*>(events), maxevents,
                 timeout_ms < 0 ? -1 : static_cast<int64_t>(timeout_ms) * 1000000);
}

long sys_epoll_pwait(int epfd, void* events, int maxevents, int timeout_ms, const void* sigmask,
                     size_t sigsetsize) {
  if (long err = check_sigmask(sigmask, sigsetsize); err < 0) return err;
  return sys_epoll_wait(epfd, events, maxevents, timeout_ms);
}

long sys_epoll_pwait2(int epfd, void* events, int maxevents, const uapi::Timespec* timeout, const void* sigmask,
                      size_t sigsetsize) {
  int64_t ns = -1;
  if (timeout != nullptr) {
    if (!user_readable(timeout, sizeof(*timeout))) return -EFAULT;
    if (timeout->sec < 0 || timeout->nsec < 0 || timeout->nsec >= 1000000000) return -EINVAL;
    ns = timeout->sec > 1000000000ll ? INT64_MAX : timeout->sec * 1000000000ll + timeout->nsec;
  }
  if (long err = check_sigmask(sigmask, sigsetsize); err < 0) return err;
  return do_wait(epfd, static_cast<EpollEvent*>(events), maxevents, ns);
}
