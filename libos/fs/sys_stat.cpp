// fstat, stat, lstat, newfstatat, statx.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/path.hpp"
#include "fs/syscalls.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/stat.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

// Stats what (dirfd, path, flags) names into *st, as vfs_statx does.
long stat_at(int dirfd, const char* path, int flags, uapi::Stat* st) {
  long len = 0;
  if (path != nullptr || (flags & uapi::AT_EMPTY_PATH) == 0) {
    len = user_path(path);
    if (len < 0) return len;
  }
  if (len == 0) {
    if ((flags & uapi::AT_EMPTY_PATH) == 0) return -ENOENT;
    if (dirfd == uapi::AT_FDCWD) {
      cwd_vnode()->stat(st);
      return 0;
    }
    File* file = fd_get(dirfd);
    if (file == nullptr) return -EBADF;
    return file->fstat(st);
  }
  Vnode* node = nullptr;
  long err = path_lookup(dirfd, path, (flags & uapi::AT_SYMLINK_NOFOLLOW) == 0, &node);
  if (err < 0) return err;
  node->stat(st);
  return 0;
}

long stat_out(int dirfd, const char* path, int flags, uapi::Stat* out) {
  uapi::Stat st;
  long err = stat_at(dirfd, path, flags, &st);
  if (err < 0) return err;
  if (!user_writable(out, sizeof(*out))) return -EFAULT;
  memcpy(out, &st, sizeof(st));
  return 0;
}

}  // namespace

long sys_fstat(int fd, uapi::Stat* st) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  uapi::Stat tmp;
  long err = file->fstat(&tmp);
  if (err < 0) return err;
  if (!user_writable(st, sizeof(*st))) return -EFAULT;
  memcpy(st, &tmp, sizeof(tmp));
  return 0;
}

long sys_stat(const char* path, uapi::Stat* st) { return stat_out(uapi::AT_FDCWD, path, 0, st); }

long sys_lstat(const char* path, uapi::Stat* st) {
  return stat_out(uapi::AT_FDCWD, path, uapi::AT_SYMLINK_NOFOLLOW, st);
}

long sys_newfstatat(int dirfd, const char* path, uapi::Stat* st, int flags) {
  if (flags & ~(uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_NO_AUTOMOUNT | uapi::AT_EMPTY_PATH)) return -EINVAL;
  return stat_out(dirfd, path, flags, st);
}

long sys_statx(int dirfd, const char* path, int flags, unsigned mask, uapi::Statx* stx) {
  constexpr int kValid = uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_NO_AUTOMOUNT | uapi::AT_EMPTY_PATH |
                         uapi::AT_STATX_SYNC_TYPE;
  if (flags & ~kValid) return -EINVAL;
  if ((flags & uapi::AT_STATX_SYNC_TYPE) == uapi::AT_STATX_SYNC_TYPE) return -EINVAL;
  if (mask & uapi::STATX__RESERVED) return -EINVAL;
  uapi::Stat st;
  long err = stat_at(dirfd, path, flags, &st);
  if (err < 0) return err;
  if (!user_writable(stx, sizeof(*stx))) return -EFAULT;
  uapi::Statx x;
  memset(&x, 0, sizeof(x));
  x.mask = uapi::STATX_BASIC_STATS;
  x.blksize = static_cast<uint32_t>(st.blksize);
  x.nlink = static_cast<uint32_t>(st.nlink);
  x.uid = st.uid;
  x.gid = st.gid;
  x.mode = static_cast<uint16_t>(st.mode);
  x.ino = st.ino;
  x.size = static_cast<uint64_t>(st.size);
  x.blocks = static_cast<uint64_t>(st.blocks);
  x.atime = {st.atime_sec, static_cast<uint32_t>(st.atime_nsec), 0};
  x.mtime = {st.mtime_sec, static_cast<uint32_t>(st.mtime_nsec), 0};
  x.ctime = {st.ctime_sec, static_cast<uint32_t>(st.ctime_nsec), 0};
  x.rdev_major = static_cast<uint32_t>(st.rdev >> 8);
  x.rdev_minor = static_cast<uint32_t>(st.rdev & 0xff);
  x.dev_major = static_cast<uint32_t>(st.dev >> 8);
  x.dev_minor = static_cast<uint32_t>(st.dev & 0xff);
  memcpy(stx, &x, sizeof(x));
  return 0;
}
