// dup, dup2, dup3, fcntl, ioctl, pipe, pipe2.
#include "core/uaccess.hpp"
#include "fs/fdtable.hpp"
#include "fs/pipe.hpp"
#include "fs/syscalls.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

long dup_to(int oldfd, int newfd, bool cloexec) {
  File* file = fd_get(oldfd);
  if (file == nullptr) return -EBADF;
  if (newfd < 0 || newfd >= fd_nofile()) return -EBADF;
  fd_install_at(newfd, file, cloexec);
  return newfd;
}

long dup_min(File* file, int min_fd, bool cloexec) {
  file->get();
  long fd = fd_install(file, cloexec, min_fd);
  if (fd < 0) file->put();
  return fd;
}

long lock_cmd(int cmd, unsigned long arg) {
  auto* lock = reinterpret_cast<lx::Flock*>(arg);
  bool get = cmd == lx::F_GETLK || cmd == lx::F_OFD_GETLK;
  if (!(get ? user_writable(lock, sizeof(*lock)) : user_readable(lock, sizeof(*lock)))) return -EFAULT;
  if (lock->type != lx::F_RDLCK && lock->type != lx::F_WRLCK && lock->type != lx::F_UNLCK) return -EINVAL;
  // One process: no lock can conflict, so every lock is granted at once.
  if (get) lock->type = lx::F_UNLCK;
  return 0;
}

}  // namespace

long sys_dup(int oldfd) {
  File* file = fd_get(oldfd);
  if (file == nullptr) return -EBADF;
  return dup_min(file, 0, false);
}

long sys_dup2(int oldfd, int newfd) {
  if (fd_get(oldfd) == nullptr) return -EBADF;
  if (oldfd == newfd) return newfd;
  return dup_to(oldfd, newfd, false);
}

long sys_dup3(int oldfd, int newfd, int flags) {
  if (flags & ~lx::O_CLOEXEC) return -EINVAL;
  if (oldfd == newfd) return -EINVAL;
  return dup_to(oldfd, newfd, (flags & lx::O_CLOEXEC) != 0);
}

long sys_fcntl(int fd, int cmd, unsigned long arg) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  bool path_only = (file->m_flags & lx::O_PATH) != 0;
  switch (cmd) {
    case lx::F_DUPFD:
    case lx::F_DUPFD_CLOEXEC:
      if (arg >= static_cast<unsigned long>(fd_nofile())) return -EINVAL;
      return dup_min(file, static_cast<int>(arg), cmd == lx::F_DUPFD_CLOEXEC);
    case lx::F_GETFD: return fd_cloexec(fd) ? lx::FD_CLOEXEC : 0;
    case lx::F_SETFD:
      fd_set_cloexec(fd, (arg & lx::FD_CLOEXEC) != 0);
      return 0;
    case lx::F_GETFL: return file->m_flags;
    default: break;
  }
  if (path_only) return -EBADF;
  switch (cmd) {
    case lx::F_SETFL: {
      constexpr int kSettable = lx::O_APPEND | lx::O_NONBLOCK | lx::O_ASYNC | lx::O_DIRECT | lx::O_NOATIME;
      file->m_flags = (file->m_flags & ~kSettable) | (static_cast<int>(arg) & kSettable);
      return 0;
    }
    case lx::F_GETLK:
    case lx::F_SETLK:
    case lx::F_SETLKW:
    case lx::F_OFD_GETLK:
    case lx::F_OFD_SETLK:
    case lx::F_OFD_SETLKW: return lock_cmd(cmd, arg);
    case lx::F_GETOWN:
    case lx::F_SETOWN: return 0;
    case lx::F_GETPIPE_SZ:
    case lx::F_SETPIPE_SZ: return file->vnode() == nullptr ? 65536 : -EBADF;
    default: return -EINVAL;
  }
}

long sys_ioctl(int fd, unsigned long request, unsigned long arg) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & lx::O_PATH)) return -EBADF;
  switch (request) {
    case lx::FIOCLEX: fd_set_cloexec(fd, true); return 0;
    case lx::FIONCLEX: fd_set_cloexec(fd, false); return 0;
    case lx::FIONBIO: {
      const int* on = reinterpret_cast<const int*>(arg);
      if (!user_readable(on, sizeof(*on))) return -EFAULT;
      if (*on) file->m_flags |= lx::O_NONBLOCK; else file->m_flags &= ~lx::O_NONBLOCK;
      return 0;
    }
    case lx::FIONREAD:
      if (!user_writable(reinterpret_cast<int*>(arg), sizeof(int))) return -EFAULT;
      break;
    default: break;
  }
  return file->ioctl(request, arg);
}

long sys_pipe(int* fds) { return sys_pipe2(fds, 0); }

long sys_pipe2(int* fds, int flags) {
  if (flags & ~(lx::O_CLOEXEC | lx::O_NONBLOCK | lx::O_DIRECT)) return -EINVAL;
  File* r = nullptr;
  File* w = nullptr;
  long err = pipe_create(flags, &r, &w);
  if (err < 0) return err;
  bool cloexec = (flags & lx::O_CLOEXEC) != 0;
  long rfd = fd_install(r, cloexec);
  if (rfd < 0) {
    r->put();
    w->put();
    return rfd;
  }
  long wfd = fd_install(w, cloexec);
  if (wfd < 0) {
    fd_close(static_cast<int>(rfd));
    w->put();
    return wfd;
  }
  if (!user_writable(fds, 2 * sizeof(int))) {
    fd_close(static_cast<int>(rfd));
    fd_close(static_cast<int>(wfd));
    return -EFAULT;
  }
  fds[0] = static_cast<int>(rfd);
  fds[1] = static_cast<int>(wfd);
  return 0;
}
