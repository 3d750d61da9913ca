// access, faccessat, readlink, readlinkat, truncate, ftruncate, fsync,
// fdatasync, umask, statfs, fstatfs, and the file half of mmap.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/path.hpp"
#include "fs/rootfs.hpp"
#include "fs/tmpfs.hpp"
#include "ipc/region.hpp"
#include "ipc/shm_files.hpp"
#include "core/boot_flags.hpp"
#include "fs/syscalls.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/stat.hpp"
#include "uapi/magic.hpp"
#include "uapi/statfs.hpp"
#include "uapi/unistd.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

// The program runs as root (uid 0): read and write are always granted (but
// not on a read-only file system), execute needs some x bit on non-dirs.
long check_access(Vnode* node, int mode) {
  if ((mode & uapi::W_OK) && node->read_only() && (node->is_reg() || node->is_dir() || node->is_link())) {
    return -EROFS;
  }
  if ((mode & uapi::X_OK) && !node->is_dir() && (node->m_mode & 0111) == 0) return -EACCES;
  return 0;
}

// What Linux reports for the file system each kind of node stands for.
void fill_statfs(Vnode* node, uapi::Statfs* out) {
  memset(out, 0, sizeof(*out));
  out->bsize = 4096;
  out->frsize = 4096;
  out->namelen = 255;
  out->fsid[0] = static_cast<int32_t>(node->fs());
  switch (node->fs()) {
    case FsId::root: {
      // The image's root is a packed read-only tree, as EROFS (or squashfs)
      // on Linux: exactly full, its size that of the section, one inode per
      // entry, nothing free.
      out->type = uapi::EROFS_SUPER_MAGIC_V1;
      out->blocks = (rootfs_bytes() + 4095) / 4096;
      if (out->blocks == 0) out->blocks = 1;
      out->files = rootfs_inodes();
      out->flags = uapi::ST_RDONLY | uapi::ST_VALID;
      break;
    }
    case FsId::tmp:
    case FsId::console:
    case FsId::dev: {
      // tmpfs's defaults on Linux: half of RAM (--memory) for data and as
      // many inodes as half of its pages; free is what the files do not use.
      out->type = uapi::TMPFS_MAGIC;
      uint64_t pages = boot_info().memory_size / 4096;
      TmpfsUsage used = tmpfs_usage();
      uint64_t used_blocks = (used.bytes + 4095) / 4096;
      out->blocks = pages / 2;
      out->bfree = out->bavail = out->blocks > used_blocks ? out->blocks - used_blocks : 0;
      out->files = pages / 2;
      out->ffree = out->files > used.nodes ? out->files - used.nodes : 0;
      out->flags = uapi::ST_VALID;
      break;
    }
    case FsId::shm: {
      // A tmpfs as large as the family region (shoal-vmm --shm-size).
      out->type = uapi::TMPFS_MAGIC;
      uint64_t pages = 0, used = 0;
      ipc::shm_file_usage(&pages, &used);
      out->blocks = pages;
      out->bfree = out->bavail = pages - used;
      out->files = ipc::kMaxShmFiles;
      out->ffree = ipc::kMaxShmFiles;
      out->flags = uapi::ST_VALID;
      break;
    }
    case FsId::proc: out->type = uapi::PROC_SUPER_MAGIC; out->flags = uapi::ST_VALID; break;
    case FsId::pipe: out->type = uapi::PIPEFS_MAGIC; out->flags = uapi::ST_VALID; break;
  }
}

long readlink_at(int dirfd, const char* path, char* buf, size_t bufsiz) {
  if (static_cast<long>(bufsiz) <= 0) return -EINVAL;
  Vnode* node = nullptr;
  long err = path_lookup(dirfd, path, false, &node);
  if (err < 0) return err;
  if (!node->is_link()) return -EINVAL;
  const char* target = nullptr;
  size_t len = 0;
  err = node->readlink(&target, &len);
  if (err < 0) return err;
  if (len > bufsiz) len = bufsiz;
  if (!user_writable(buf, len)) return -EFAULT;
  memcpy(buf, target, len);
  return static_cast<long>(len);
}

}  // namespace

long sys_access(const char* path, int mode) { return sys_faccessat(uapi::AT_FDCWD, path, mode); }

long sys_faccessat(int dirfd, const char* path, int mode) { return libos::fs_faccessat(dirfd, path, mode, 0); }

long libos::fs_faccessat(int dirfd, const char* path, int mode, int flags) {
  if (mode & ~(uapi::R_OK | uapi::W_OK | uapi::X_OK)) return -EINVAL;
  if (flags & ~(uapi::AT_EACCESS | uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_EMPTY_PATH)) return -EINVAL;
  Vnode* node = nullptr;
  if ((flags & uapi::AT_EMPTY_PATH) && path != nullptr && user_strnlen(path, 1) == 0) {
    if (dirfd == uapi::AT_FDCWD) return check_access(cwd_vnode(), mode);
    File* file = fd_get(dirfd);
    if (file == nullptr) return -EBADF;
    uapi::Stat st;
    return file->fstat(&st) < 0 ? -EBADF : 0;
  }
  long err = path_lookup(dirfd, path, (flags & uapi::AT_SYMLINK_NOFOLLOW) == 0, &node);
  if (err < 0) return err;
  return check_access(node, mode);
}

long sys_readlink(const char* path, char* buf, size_t bufsiz) {
  return readlink_at(uapi::AT_FDCWD, path, buf, bufsiz);
}

long sys_readlinkat(int dirfd, const char* path, char* buf, size_t bufsiz) {
  return readlink_at(dirfd, path, buf, bufsiz);
}

long sys_ftruncate(int fd, long length) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & uapi::O_PATH)) return -EBADF;
  if (length < 0) return -EINVAL;
  return file->truncate(static_cast<uint64_t>(length));
}

long sys_truncate(const char* path, long length) {
  if (length < 0) return -EINVAL;
  Vnode* node = nullptr;
  long err = path_lookup(uapi::AT_FDCWD, path, true, &node);
  if (err < 0) return err;
  if (node->is_dir()) return -EISDIR;
  if (!node->is_reg()) return -EINVAL;
  if (node->read_only()) return -EROFS;
  return node->truncate(static_cast<uint64_t>(length));
}

long sys_fsync(int fd) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & uapi::O_PATH)) return -EBADF;
  // Nothing is ever written back: memory is the only storage.
  return file->vnode() == nullptr ? -EINVAL : 0;
}

long sys_fdatasync(int fd) { return sys_fsync(fd); }

long sys_umask(unsigned mask) {
  uint32_t old = umask_value();
  umask_value() = mask & 0777;
  return old;
}

long sys_statfs(const char* path, uapi::Statfs* buf) {
  Vnode* node = nullptr;
  long err = path_lookup(uapi::AT_FDCWD, path, true, &node);
  if (err < 0) return err;
  if (!user_writable(buf, sizeof(*buf))) return -EFAULT;
  fill_statfs(node, buf);
  return 0;
}

long sys_fstatfs(int fd, uapi::Statfs* buf) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  if (!user_writable(buf, sizeof(*buf))) return -EFAULT;
  if (file->vnode() == nullptr) {
    uapi::Statfs tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.type = uapi::PIPEFS_MAGIC;
    tmp.bsize = tmp.frsize = 4096;
    tmp.namelen = 255;
    tmp.flags = uapi::ST_VALID;
    memcpy(buf, &tmp, sizeof(tmp));
    return 0;
  }
  fill_statfs(file->vnode(), buf);
  return 0;
}

namespace libos {

long fs_mmap_file(int fd, void* dst, size_t len, uint64_t offset, bool shared_write) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  // As Linux: a writable shared mapping writes the file, so the fd must be
  // open for writing.
  if (shared_write && !file->writable()) return -EACCES;
  return file->map_copy(dst, len, offset);
}

long fs_mmap_shared(int fd, size_t len, uint64_t offset, bool shared_write) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  Vnode* node = file->vnode();
  if (node == nullptr) return -ENODEV;
  long r = node->map_shared(len, offset);
  if (r == -ENODEV) return r;
  if ((file->m_flags & uapi::O_PATH) != 0) return -EBADF;
  if (!file->readable() || (shared_write && !file->writable())) return -EACCES;
  return r;
}

}  // namespace libos
