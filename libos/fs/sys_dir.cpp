// getdents64, mkdir, mkdirat, unlink, unlinkat, rmdir, rename, renameat,
// getcwd, chdir.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/path.hpp"
#include "fs/syscalls.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/limits.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

// The walk every directory-changing call starts with: a checked, non-empty
// path whose last component is not followed.
long walk_parent(int dirfd, const char* path, Walk* w) {
  long len = user_path(path);
  if (len < 0) return len;
  if (len == 0) return -ENOENT;
  return path_walk(dirfd, path, Follow::never, w);
}

long do_unlink(int dirfd, const char* path) {
  Walk w;
  long err = walk_parent(dirfd, path, &w);
  if (err < 0) return err;
  if (w.type != LastType::normal) return -EISDIR;
  if (w.parent->read_only()) return -EROFS;
  if (w.node == nullptr) return -ENOENT;
  if (w.trailing_slash) return w.node->is_dir() ? -EISDIR : -ENOTDIR;
  if (w.node->is_dir()) return -EISDIR;
  return w.parent->unlink(w.last, w.last_len);
}

long do_rmdir(int dirfd, const char* path) {
  Walk w;
  long err = walk_parent(dirfd, path, &w);
  if (err < 0) return err;
  if (w.type == LastType::dotdot) return -ENOTEMPTY;
  if (w.type == LastType::dot) return -EINVAL;
  if (w.type == LastType::root) return -EBUSY;
  if (w.parent->read_only()) return -EROFS;
  if (w.node == nullptr) return -ENOENT;
  if (!w.node->is_dir()) return -ENOTDIR;
  if (w.node->fs() != w.parent->fs()) return -EBUSY;  // a mount point
  if (!w.node->empty()) return -ENOTEMPTY;
  return w.parent->rmdir(w.last, w.last_len);
}

// True if `dir` is `node` or lies below it.
bool is_within(Vnode* dir, Vnode* node) {
  for (int depth = 0; depth < 4096; ++depth) {
    if (dir == node) return true;
    Vnode* up = dir->parent();
    if (up == dir) return false;
    dir = up;
  }
  return false;
}

}  // namespace

long sys_getdents64(int fd, void* dirp, unsigned count) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & uapi::O_PATH)) return -EBADF;
  if (!user_writable(dirp, count)) return -EFAULT;
  return file->getdents64(dirp, count);
}

long sys_mkdir(const char* path, unsigned mode) { return sys_mkdirat(uapi::AT_FDCWD, path, mode); }

long sys_mkdirat(int dirfd, const char* path, unsigned mode) {
  Walk w;
  long err = walk_parent(dirfd, path, &w);
  if (err < 0) return err;
  if (w.type != LastType::normal || w.node != nullptr) return -EEXIST;
  if (w.parent->read_only()) return -EROFS;
  return w.parent->mkdir(w.last, w.last_len, mode & ~umask_value() & 07777);
}

long sys_unlink(const char* path) { return do_unlink(uapi::AT_FDCWD, path); }

long sys_unlinkat(int dirfd, const char* path, int flags) {
  if (flags & ~uapi::AT_REMOVEDIR) return -EINVAL;
  return (flags & uapi::AT_REMOVEDIR) ? do_rmdir(dirfd, path) : do_unlink(dirfd, path);
}

long sys_rmdir(const char* path) { return do_rmdir(uapi::AT_FDCWD, path); }

long sys_rename(const char* oldpath, const char* newpath) {
  return sys_renameat(uapi::AT_FDCWD, oldpath, uapi::AT_FDCWD, newpath);
}

// In Linux's do_renameat2 order.
long sys_renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath) {
  Walk from;
  Walk to;
  long err = walk_parent(olddirfd, oldpath, &from);
  if (err < 0) return err;
  err = walk_parent(newdirfd, newpath, &to);
  if (err < 0) return err;
  if (from.type != LastType::normal) return -EBUSY;
  if (from.parent->fs() != to.parent->fs()) return -EXDEV;
  if (to.type != LastType::normal) return -EBUSY;
  if (from.parent->read_only()) return -EROFS;
  Vnode* old_node = from.node;
  Vnode* new_node = to.node;
  if (old_node == nullptr) return -ENOENT;
  if (!old_node->is_dir() && (from.trailing_slash || to.trailing_slash)) return -ENOTDIR;
  if (old_node->is_dir() && is_within(to.parent, old_node)) return -EINVAL;
  if (new_node != nullptr && new_node->is_dir() && is_within(from.parent, new_node)) return -ENOTEMPTY;
  if (old_node == new_node) return 0;
  if (new_node != nullptr) {
    if (new_node->is_dir() && !old_node->is_dir()) return -EISDIR;
    if (!new_node->is_dir() && old_node->is_dir()) return -ENOTDIR;
    if (new_node->is_dir() && !new_node->empty()) return -ENOTEMPTY;
  }
  return from.parent->rename(from.last, from.last_len, to.parent, to.last, to.last_len);
}

long sys_getcwd(char* buf, size_t size) {
  static char path[uapi::kPathMax];
  long len = vnode_path(cwd_vnode(), path, sizeof(path));
  if (len < 0) return len;
  size_t need = static_cast<size_t>(len) + 1;
  if (size < need) return -ERANGE;
  if (!user_writable(buf, need)) return -EFAULT;
  memcpy(buf, path, need);
  return static_cast<long>(need);
}

long sys_chdir(const char* path) {
  Vnode* node = nullptr;
  long err = path_lookup(uapi::AT_FDCWD, path, true, &node);
  if (err < 0) return err;
  if (!node->is_dir()) return -ENOTDIR;
  set_cwd(node);
  return 0;
}

long sys_symlinkat(const char* target, int dirfd, const char* path) {
  long tlen = user_path(target);
  if (tlen < 0) return tlen;
  if (tlen == 0) return -ENOENT;
  Walk w;
  long err = walk_parent(dirfd, path, &w);
  if (err < 0) return err;
  if (w.type != LastType::normal || w.node != nullptr) return -EEXIST;
  if (w.parent->read_only()) return -EROFS;
  if (w.trailing_slash) return -ENOENT;
  return w.parent->symlink(w.last, w.last_len, target, static_cast<size_t>(tlen));
}

long sys_symlink(const char* target, const char* path) {
  return sys_symlinkat(target, uapi::AT_FDCWD, path);
}

long sys_linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags) {
  if (flags & ~(uapi::AT_SYMLINK_FOLLOW | uapi::AT_EMPTY_PATH)) return -EINVAL;
  Vnode* node = nullptr;
  long len = user_path(oldpath);
  if (len < 0) return len;
  if (len == 0) {
    if ((flags & uapi::AT_EMPTY_PATH) == 0) return -ENOENT;
    File* file = fd_get(olddirfd);
    if (file == nullptr) return -EBADF;
    node = file->vnode();
    if (node == nullptr) return -ENOENT;
  } else {
    long err = path_lookup(olddirfd, oldpath, (flags & uapi::AT_SYMLINK_FOLLOW) != 0, &node);
    if (err < 0) return err;
  }
  Walk w;
  long err = walk_parent(newdirfd, newpath, &w);
  if (err < 0) return err;
  if (w.type != LastType::normal || w.node != nullptr) return -EEXIST;
  if (w.parent->read_only()) return -EROFS;
  if (w.trailing_slash) return -ENOENT;
  if (node->is_dir()) return -EPERM;
  if (node->fs() != w.parent->fs()) return -EXDEV;
  return w.parent->link(w.last, w.last_len, node);
}

long sys_link(const char* oldpath, const char* newpath) {
  return sys_linkat(uapi::AT_FDCWD, oldpath, uapi::AT_FDCWD, newpath, 0);
}
