// chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat, utimensat,
// sendfile. One user (uid 0): ownership changes are accepted and not stored;
// modes and times are stored on writable file systems; the read-only root
// answers EROFS, as a read-only mount does on Linux.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "fs/clock.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/path.hpp"
#include "fs/syscalls.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/stat.hpp"
#include "uapi/time.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

// Nodes a program may change: tmpfs files (and devices, whose attributes
// Linux keeps on the devtmpfs inode). The root and /proc are read-only.
long writable_node(Vnode* node) {
  if (node->fs() == FsId::root) return -EROFS;
  if (node->fs() == FsId::proc) return -EPERM;
  return 0;
}

// The node at (dirfd, path) or, with AT_EMPTY_PATH and "", dirfd's node.
long node_at(int dirfd, const char* path, int flags, Vnode** out) {
  long len = user_path(path);
  if (len < 0) return len;
  if (len == 0) {
    if ((flags & uapi::AT_EMPTY_PATH) == 0) return -ENOENT;
    if (dirfd == uapi::AT_FDCWD) {
      *out = cwd_vnode();
      return 0;
    }
    File* file = fd_get(dirfd);
    if (file == nullptr) return -EBADF;
    *out = file->vnode();
    return *out != nullptr ? 0 : -EBADF;
  }
  return path_lookup(dirfd, path, (flags & uapi::AT_SYMLINK_NOFOLLOW) == 0, out);
}

long fd_node(int fd, Vnode** out) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  *out = file->vnode();
  // Pipes and eventfds: Linux changes their anonymous inode; nothing to keep.
  return 0;
}

long set_mode(Vnode* node, unsigned mode) {
  if (node == nullptr) return 0;
  long err = writable_node(node);
  if (err < 0) return err;
  node->m_mode = (node->m_mode & uapi::S_IFMT) | (mode & 07777);
  node->m_ctime_ns = now_ns();
  return 0;
}

long set_owner(Vnode* node) {
  if (node == nullptr) return 0;
  long err = writable_node(node);
  if (err < 0) return err;
  node->m_ctime_ns = now_ns();
  return 0;
}

bool valid_time(const uapi::Timespec& t) {
  return t.nsec == uapi::UTIME_NOW || t.nsec == uapi::UTIME_OMIT || (t.nsec >= 0 && t.nsec < 1000000000);
}

}  // namespace

long sys_chmod(const char* path, unsigned mode) { return sys_fchmodat(uapi::AT_FDCWD, path, mode); }

long sys_fchmodat(int dirfd, const char* path, unsigned mode) {
  Vnode* node = nullptr;
  long err = path_lookup(dirfd, path, true, &node);
  if (err < 0) return err;
  return set_mode(node, mode);
}

long sys_fchmod(int fd, unsigned mode) {
  Vnode* node = nullptr;
  long err = fd_node(fd, &node);
  if (err < 0) return err;
  if (fd_get(fd)->m_flags & uapi::O_PATH) return -EBADF;
  return set_mode(node, mode);
}

long sys_chown(const char* path, unsigned uid, unsigned gid) {
  return sys_fchownat(uapi::AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(const char* path, unsigned uid, unsigned gid) {
  return sys_fchownat(uapi::AT_FDCWD, path, uid, gid, uapi::AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(int dirfd, const char* path, unsigned uid, unsigned gid, int flags) {
  (void)uid, (void)gid;
  if (flags & ~(uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_EMPTY_PATH)) return -EINVAL;
  Vnode* node = nullptr;
  long err = node_at(dirfd, path, flags, &node);
  if (err < 0) return err;
  return set_owner(node);
}

long sys_fchown(int fd, unsigned uid, unsigned gid) {
  (void)uid, (void)gid;
  Vnode* node = nullptr;
  long err = fd_node(fd, &node);
  if (err < 0) return err;
  if (fd_get(fd)->m_flags & uapi::O_PATH) return -EBADF;
  return set_owner(node);
}

long sys_utimensat(int dirfd, const char* path, const uapi::Timespec* times, int flags) {
  if (times == nullptr) return libos::fs_utimens(dirfd, path, nullptr, flags);
  uapi::Timespec t[2];
  if (!user_readable(times, sizeof(t))) return -EFAULT;
  memcpy(t, times, sizeof(t));
  return libos::fs_utimens(dirfd, path, t, flags);
}

long libos::fs_utimens(int dirfd, const char* path, const uapi::Timespec* times, int flags) {
  if (flags & ~(uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_EMPTY_PATH)) return -EINVAL;
  uapi::Timespec t[2] = {{0, uapi::UTIME_NOW}, {0, uapi::UTIME_NOW}};
  if (times != nullptr) {
    t[0] = times[0];
    t[1] = times[1];
    if (!valid_time(t[0]) || !valid_time(t[1])) return -EINVAL;
  }
  Vnode* node = nullptr;
  long err = 0;
  if (path == nullptr) {
    // futimens: glibc passes the fd and no path.
    if (dirfd == uapi::AT_FDCWD) return -EFAULT;
    err = fd_node(dirfd, &node);
  } else {
    err = node_at(dirfd, path, flags, &node);
  }
  if (err < 0) return err;
  if (node == nullptr) return 0;
  if (t[0].nsec == uapi::UTIME_OMIT && t[1].nsec == uapi::UTIME_OMIT) return 0;
  err = writable_node(node);
  if (err < 0) return err;
  int64_t now = now_ns();
  for (int i = 0; i < 2; ++i) {
    if (t[i].nsec == uapi::UTIME_OMIT) continue;
    int64_t v = t[i].nsec == uapi::UTIME_NOW ? now : t[i].sec * 1000000000 + t[i].nsec;
    (i == 0 ? node->m_atime_ns : node->m_mtime_ns) = v;
  }
  node->m_ctime_ns = now;
  return 0;
}

long sys_sendfile(int out_fd, int in_fd, long* offset, size_t count) {
  File* in = fd_get(in_fd);
  File* out = fd_get(out_fd);
  if (in == nullptr || !in->readable() || out == nullptr || !out->writable()) return -EBADF;
  if (out->m_flags & uapi::O_APPEND) return -EINVAL;
  long pos = 0;
  if (offset != nullptr) {
    if (!user_writable(offset, sizeof(*offset))) return -EFAULT;
    pos = *offset;
    if (pos < 0) return -EINVAL;
  }
  in->get();
  out->get();
  // The destination may take the bytes straight from the source (a TCP
  // socket fills its send ring from the file's pages): one copy, and whole
  // segments instead of one write per page.
  long start = offset != nullptr ? pos : in->lseek(0, 1);
  if (start >= 0 && count > 0) {
    long w = out->write_from(in, static_cast<uint64_t>(start), count);
    // -ESPIPE: the source seeks but has no pread (a device): copy below.
    if (w != -EOPNOTSUPP && w != -ESPIPE) {
      if (w > 0) {
        if (offset != nullptr) *offset = pos + w;
        else in->lseek(w, 1);
      }
      out->put();
      in->put();
      return w;
    }
  }
  char buf[4096];
  long done = 0, err = 0;
  while (static_cast<size_t>(done) < count) {
    size_t want = count - static_cast<size_t>(done);
    if (want > sizeof(buf)) want = sizeof(buf);
    long n = offset != nullptr ? in->pread(buf, want, static_cast<uint64_t>(pos + done)) : in->read(buf, want);
    if (n <= 0) {
      err = n;
      break;
    }
    long w = out->write(buf, static_cast<size_t>(n));
    if (w < 0) {
      // Linux leaves the input offset past what it read; we give back what
      // was not written so a retry does not lose data.
      if (offset == nullptr) in->lseek(-n, 1);
      err = w;
      break;
    }
    done += w;
    if (w < n) {
      if (offset == nullptr) in->lseek(w - n, 1);
      break;
    }
  }
  if (offset != nullptr) *offset = pos + done;
  out->put();
  in->put();
  return done > 0 ? done : err;
}
