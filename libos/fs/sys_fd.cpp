// dup, dup2, dup3, fcntl, ioctl, pipe, pipe2.
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "fs/pipe.hpp"
#include "fs/syscalls.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/ioctl.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

long dup_to(int oldfd, int newfd, bool cloexec) {
  File* file = fd_get(oldfd);
  if (file == nullptr) return -EBADF;
  if (newfd < 0 || newfd >= fd_nofile()) return -EBADF;
  return fd_install_at(newfd, file, cloexec);
}

long dup_min(File* file, int min_fd, bool cloexec) {
  file->get();
  long fd = fd_install(file, cloexec, min_fd);
  if (fd < 0) file->put();
  return fd;
}

long lock_cmd(int cmd, unsigned long arg) {
  auto* lock = reinterpret_cast<uapi::Flock*>(arg);
  bool get = cmd == uapi::F_GETLK || cmd == uapi::F_OFD_GETLK;
  if (!(get ? user_writable(lock, sizeof(*lock)) : user_readable(lock, sizeof(*lock)))) return -EFAULT;
  if (lock->type != uapi::F_RDLCK && lock->type != uapi::F_WRLCK && lock->type != uapi::F_UNLCK) return -EINVAL;
  // One process: no lock can conflict, so every lock is granted at once.
  if (get) lock->type = uapi::F_UNLCK;
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
  if (flags & ~uapi::O_CLOEXEC) return -EINVAL;
  if (oldfd == newfd) return -EINVAL;
  return dup_to(oldfd, newfd, (flags & uapi::O_CLOEXEC) != 0);
}

long sys_fcntl(int fd, int cmd, unsigned long arg) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  bool path_only = (file->m_flags & uapi::O_PATH) != 0;
  switch (cmd) {
    case uapi::F_DUPFD:
    case uapi::F_DUPFD_CLOEXEC:
      if (arg >= static_cast<unsigned long>(fd_nofile())) return -EINVAL;
      return dup_min(file, static_cast<int>(arg), cmd == uapi::F_DUPFD_CLOEXEC);
    case uapi::F_GETFD: return fd_cloexec(fd) ? uapi::FD_CLOEXEC : 0;
    case uapi::F_SETFD:
      fd_set_cloexec(fd, (arg & uapi::FD_CLOEXEC) != 0);
      return 0;
    case uapi::F_GETFL: return file->m_flags;
    default: break;
  }
  if (path_only) return -EBADF;
  switch (cmd) {
    case uapi::F_SETFL: {
      constexpr int kSettable = uapi::O_APPEND | uapi::O_NONBLOCK | uapi::O_ASYNC | uapi::O_DIRECT | uapi::O_NOATIME;
      file->m_flags = (file->m_flags & ~kSettable) | (static_cast<int>(arg) & kSettable);
      return 0;
    }
    case uapi::F_GETLK:
    case uapi::F_SETLK:
    case uapi::F_SETLKW:
    case uapi::F_OFD_GETLK:
    case uapi::F_OFD_SETLK:
    case uapi::F_OFD_SETLKW: return lock_cmd(cmd, arg);
    case uapi::F_GETOWN:
    case uapi::F_SETOWN: return 0;
    case uapi::F_GETPIPE_SZ:
    case uapi::F_SETPIPE_SZ: return file->vnode() == nullptr ? 65536 : -EBADF;
    default: return -EINVAL;
  }
}

long sys_ioctl(int fd, unsigned long request, unsigned long arg) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & uapi::O_PATH)) return -EBADF;
  switch (request) {
    case uapi::FIOCLEX: fd_set_cloexec(fd, true); return 0;
    case uapi::FIONCLEX: fd_set_cloexec(fd, false); return 0;
    case uapi::FIONBIO: {
      const int* on = reinterpret_cast<const int*>(arg);
      if (!user_readable(on, sizeof(*on))) return -EFAULT;
      if (*on) file->m_flags |= uapi::O_NONBLOCK; else file->m_flags &= ~uapi::O_NONBLOCK;
      return 0;
    }
    case uapi::FIONREAD:
      if (!user_writable(reinterpret_cast<int*>(arg), sizeof(int))) return -EFAULT;
      break;
    default: break;
  }
  return file->ioctl(request, arg);
}

long sys_pipe(int* fds) { return sys_pipe2(fds, 0); }

long sys_pipe2(int* fds, int flags) {
  if (flags & ~(uapi::O_CLOEXEC | uapi::O_NONBLOCK | uapi::O_DIRECT)) return -EINVAL;
  File* r = nullptr;
  File* w = nullptr;
  long err = pipe_create(flags, &r, &w);
  if (err < 0) return err;
  bool cloexec = (flags & uapi::O_CLOEXEC) != 0;
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
