// Smaller file calls: creat, fchdir, renameat2, fadvise64, fallocate, sync,
// syncfs, flock, utime, utimes, futimesat, memfd_create.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/path.hpp"
#include "fs/syscalls.hpp"
#include "uapi/time.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/stat.hpp"
#include "uapi/file.hpp"
#include "uapi/memfd.hpp"

using namespace libos;
using namespace libos::fs;

namespace {


// utimes-style seconds+microseconds to utimensat's timespecs.
long timeval_times(const uapi::Timeval* tv, uapi::Timespec out[2]) {
  uapi::Timeval t[2];
  if (!user_readable(tv, sizeof(t))) return -EFAULT;
  memcpy(t, tv, sizeof(t));
  for (int i = 0; i < 2; ++i) {
    if (t[i].usec < 0 || t[i].usec >= 1000000) return -EINVAL;
    out[i] = {t[i].sec, t[i].usec * 1000};
  }
  return 0;
}

}  // namespace

long sys_creat(const char* path, unsigned mode) {
  return sys_open(path, uapi::O_CREAT | uapi::O_WRONLY | uapi::O_TRUNC, mode);
}

long sys_fchdir(int fd) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  Vnode* node = file->vnode();
  if (node == nullptr || !node->is_dir()) return -ENOTDIR;
  set_cwd(node);
  return 0;
}

long sys_renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, unsigned flags) {
  if (flags & ~(uapi::RENAME_NOREPLACE | uapi::RENAME_EXCHANGE | uapi::RENAME_WHITEOUT)) return -EINVAL;
  if ((flags & uapi::RENAME_NOREPLACE) && (flags & uapi::RENAME_EXCHANGE)) return -EINVAL;
  // Exchange and whiteout are not supported by the file systems here.
  if (flags & (uapi::RENAME_EXCHANGE | uapi::RENAME_WHITEOUT)) return -EINVAL;
  if (flags & uapi::RENAME_NOREPLACE) {
    long len = user_path(newpath);
    if (len < 0) return len;
    if (len > 0) {
      Walk w;
      if (path_walk(newdirfd, newpath, Follow::never, &w) == 0 && w.node != nullptr &&
          w.type == LastType::normal) {
        // Linux checks the source first: a missing source is ENOENT.
        Vnode* src = nullptr;
        long err = path_lookup(olddirfd, oldpath, false, &src);
        return err < 0 ? err : -EEXIST;
      }
    }
  }
  return sys_renameat(olddirfd, oldpath, newdirfd, newpath);
}

long sys_fadvise64(int fd, long offset, long len, int advice) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & uapi::O_PATH)) return -EBADF;
  Vnode* node = file->vnode();
  if (node == nullptr || uapi::s_isfifo(node->m_mode)) return -ESPIPE;
  if (advice < 0 || advice > 5 || len < 0) return -EINVAL;
  (void)offset;
  return 0;
}

long sys_fallocate(int fd, int mode, long offset, long len) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & uapi::O_PATH)) return -EBADF;
  if (offset < 0 || len <= 0) return -EINVAL;
  if (!file->writable()) return -EBADF;
  Vnode* node = file->vnode();
  if (node == nullptr || uapi::s_isfifo(node->m_mode)) return -ESPIPE;
  if (node->is_dir()) return -EISDIR;
  if (!node->is_reg()) return -ENODEV;
  if (mode != 0 && mode != 1 /* FALLOC_FL_KEEP_SIZE */) return -EOPNOTSUPP;
  uint64_t end = static_cast<uint64_t>(offset) + static_cast<uint64_t>(len);
  if (mode == 0 && end > node->size()) return node->truncate(end);
  return 0;
}

long sys_sync() { return 0; }

long sys_syncfs(int fd) { return fd_get(fd) != nullptr ? 0 : -EBADF; }

long sys_flock(int fd, int op) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & uapi::O_PATH)) return -EBADF;
  int kind = op & ~uapi::LOCK_NB;
  if (kind != uapi::LOCK_SH && kind != uapi::LOCK_EX && kind != uapi::LOCK_UN) return -EINVAL;
  return 0;  // one process: every lock is granted
}

long sys_utimes(const char* path, const void* times) {
  return sys_futimesat(uapi::AT_FDCWD, path, times);
}

long sys_futimesat(int dirfd, const char* path, const void* times) {
  if (times == nullptr) return sys_utimensat(dirfd, path, nullptr, 0);
  uapi::Timespec ts[2];
  long err = timeval_times(static_cast<const uapi::Timeval*>(times), ts);
  if (err < 0) return err;
  // utimensat reads its times from user memory; ts is checked already.
  return libos::fs_utimens(dirfd, path, ts, 0);
}

long sys_utime(const char* path, const void* times) {
  if (times == nullptr) return sys_utimensat(uapi::AT_FDCWD, path, nullptr, 0);
  const auto* t = static_cast<const int64_t*>(times);  // struct utimbuf {actime, modtime}
  if (!user_readable(t, 2 * sizeof(int64_t))) return -EFAULT;
  uapi::Timespec ts[2] = {{t[0], 0}, {t[1], 0}};
  return libos::fs_utimens(uapi::AT_FDCWD, path, ts, 0);
}

long sys_memfd_create(const char* name, unsigned flags) {
  if (flags & ~(uapi::MFD_CLOEXEC | uapi::MFD_ALLOW_SEALING)) return -EINVAL;
  long len = user_strnlen(name, 250);
  if (len < 0) return len == -ENAMETOOLONG ? -EINVAL : len;
  if (!fd_has_free()) return -EMFILE;
  Vnode* tmp = mount_lookup("tmp", 3);
  if (tmp == nullptr) return -ENOSYS;
  Vnode* node = nullptr;
  long err = tmp->create_unnamed(0777, &node);
  if (err < 0) return err;
  File* file = nullptr;
  err = node->open(uapi::O_RDWR | uapi::O_LARGEFILE, &file);
  if (err < 0) {
    node->ref();
    node->unref();
    return err;
  }
  long fd = fd_install(file, (flags & uapi::MFD_CLOEXEC) != 0);
  if (fd < 0) file->put();
  return fd;
}
