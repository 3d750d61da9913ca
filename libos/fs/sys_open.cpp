// open, openat, close.
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/path.hpp"
#include "fs/syscalls.hpp"
#include "uapi/close_range.hpp"
#include "uapi/fcntl.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

constexpr int kTmpfileBit = uapi::O_TMPFILE & ~uapi::O_DIRECTORY;  // __O_TMPFILE
constexpr int kPathFlags = uapi::O_DIRECTORY | uapi::O_NOFOLLOW | uapi::O_PATH | uapi::O_CLOEXEC;

// Linux's do_sys_openat2 for open/openat: flag checks, then the descriptor,
// then the walk, then may_open's checks in the kernel's order.
long do_open(int dirfd, const char* path, int flags, unsigned mode) {
  flags |= uapi::O_LARGEFILE;  // force_o_largefile() on 64-bit
  if ((flags & (uapi::O_DIRECTORY | uapi::O_CREAT)) == (uapi::O_DIRECTORY | uapi::O_CREAT)) return -EINVAL;
  int acc = flags & uapi::O_ACCMODE;
  if (flags & uapi::O_PATH) {
    flags &= kPathFlags;
  } else if (flags & kTmpfileBit) {
    if ((flags & uapi::O_TMPFILE) != uapi::O_TMPFILE) return -EINVAL;
    if (acc != uapi::O_WRONLY && acc != uapi::O_RDWR) return -EINVAL;
  }
  long len = user_path(path);
  if (len < 0) return len;
  if (!fd_has_free()) return -EMFILE;
  if (len == 0) return -ENOENT;

  bool creat = (flags & uapi::O_CREAT) != 0 && (flags & uapi::O_PATH) == 0;
  bool excl = creat && (flags & uapi::O_EXCL) != 0;
  Follow follow = (flags & uapi::O_NOFOLLOW) == 0 && !excl ? Follow::yes : Follow::no;
  if (flags & kTmpfileBit) {
    Vnode* dir = nullptr;
    long err = path_lookup(dirfd, path, true, &dir);
    if (err < 0) return err;
    if (!dir->is_dir()) return -ENOTDIR;
    if (dir->read_only()) return -EROFS;
    Vnode* node = nullptr;
    err = dir->create_unnamed(mode & ~umask_value() & 07777, &node);
    if (err < 0) return err;
    File* file = nullptr;
    err = node->open(flags & ~(uapi::O_CREAT | uapi::O_EXCL | uapi::O_NOCTTY | uapi::O_TRUNC | uapi::O_CLOEXEC), &file);
    if (err < 0) {
      node->ref();
      node->unref();  // frees it
      return err;
    }
    long fd = fd_install(file, (flags & uapi::O_CLOEXEC) != 0);
    if (fd < 0) file->put();
    return fd;
  }

  Walk w;
  long err = path_walk(dirfd, path, follow, &w);
  if (err < 0) return err;
  Vnode* node = w.node;
  bool created = false;
  if (creat) {
    if (w.type != LastType::normal) return excl ? -EEXIST : -EISDIR;
    if (w.trailing_slash) return -EISDIR;
    if (node == nullptr) {
      if (w.parent->read_only()) return -EROFS;
      err = w.parent->create(w.last, w.last_len, mode & ~umask_value() & 07777, &node);
      if (err < 0) return err;
      created = true;
    } else {
      if (excl) return -EEXIST;
      if (node->is_dir()) return -EISDIR;
    }
  } else {
    if (node == nullptr) return -ENOENT;
    if (w.trailing_slash && !node->is_dir()) return -ENOTDIR;
  }
  if ((flags & uapi::O_DIRECTORY) && !node->is_dir()) return -ENOTDIR;

  bool truncate = false;
  if ((flags & uapi::O_PATH) == 0 && !created) {
    bool want_write = acc == uapi::O_WRONLY || acc == uapi::O_RDWR || (flags & uapi::O_TRUNC) != 0;
    if (node->is_reg() && (flags & uapi::O_TRUNC)) {
      if (node->read_only()) return -EROFS;
      truncate = true;
    }
    if (node->is_link()) return -ELOOP;
    if (node->is_dir() && want_write) return -EISDIR;
    if ((node->is_reg() || node->is_dir()) && want_write && node->read_only()) return -EROFS;
  }

  int stored = flags & ~(uapi::O_CREAT | uapi::O_EXCL | uapi::O_NOCTTY | uapi::O_TRUNC | uapi::O_CLOEXEC);
  File* file = nullptr;
  err = node->open(stored, &file);
  if (err < 0) return err;
  if (truncate) {
    err = node->truncate(0);
    if (err < 0) {
      file->put();
      return err;
    }
  }
  long fd = fd_install(file, (flags & uapi::O_CLOEXEC) != 0);
  if (fd < 0) file->put();
  return fd;
}

}  // namespace

long sys_open(const char* path, int flags, unsigned mode) { return do_open(uapi::AT_FDCWD, path, flags, mode); }

long sys_openat(int dirfd, const char* path, int flags, unsigned mode) {
  return do_open(dirfd, path, flags, mode);
}

long sys_close(int fd) { return fd_close(fd); }

long sys_close_range(unsigned first, unsigned last, unsigned flags) {
  if (flags & ~(uapi::CLOSE_RANGE_UNSHARE | uapi::CLOSE_RANGE_CLOEXEC)) return -EINVAL;
  if (first > last) return -EINVAL;
  unsigned cap = static_cast<unsigned>(fd_capacity());
  unsigned end = last < cap ? last : cap - 1;
  for (unsigned fd = first; fd <= end && fd < cap; ++fd) {
    int i = static_cast<int>(fd);
    if (fd_get(i) == nullptr) continue;
    if (flags & uapi::CLOSE_RANGE_CLOEXEC) fd_set_cloexec(i, true); else fd_close(i);
  }
  return 0;
}
