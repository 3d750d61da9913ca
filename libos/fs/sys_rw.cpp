// read, write, readv, writev, pread64, pwrite64, lseek.
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/iovec.hpp"
#include "fs/syscalls.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/fs.hpp"
#include "uapi/limits.hpp"
#include "uapi/uio.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

// Linux caps one transfer at MAX_RW_COUNT (INT_MAX rounded down to a page).
constexpr size_t kMaxRw = uapi::MAX_RW_COUNT;

long readable_file(int fd, File** out) {
  File* file = fd_get(fd);
  if (file == nullptr || !file->readable()) return -EBADF;
  *out = file;
  return 0;
}

long writable_file(int fd, File** out) {
  File* file = fd_get(fd);
  if (file == nullptr || !file->writable()) return -EBADF;
  *out = file;
  return 0;
}

}  // namespace

long sys_read(int fd, void* buf, size_t count) {
  File* file = nullptr;
  long err = readable_file(fd, &file);
  if (err < 0) return err;
  if (count > kMaxRw) count = kMaxRw;
  if (count > 0 && !user_writable(buf, count)) return -EFAULT;
  FileRef hold(file);
  return file->read(buf, count);
}

long sys_write(int fd, const void* buf, size_t count) {
  File* file = nullptr;
  long err = writable_file(fd, &file);
  if (err < 0) return err;
  if (count > kMaxRw) count = kMaxRw;
  if (count > 0 && !user_readable(buf, count)) return -EFAULT;
  FileRef hold(file);
  return file->write(buf, count);
}

long sys_readv(int fd, const uapi::Iovec* iov, int iovcnt) {
  File* file = nullptr;
  long err = readable_file(fd, &file);
  if (err < 0) return err;
  err = check_iov(iov, iovcnt, true);
  if (err < 0) return err;
  FileRef hold(file);
  return file->readv(iov, iovcnt);
}

long sys_writev(int fd, const uapi::Iovec* iov, int iovcnt) {
  File* file = nullptr;
  long err = writable_file(fd, &file);
  if (err < 0) return err;
  err = check_iov(iov, iovcnt, false);
  if (err < 0) return err;
  FileRef hold(file);
  return file->writev(iov, iovcnt);
}

long sys_pread64(int fd, void* buf, size_t count, long offset) {
  File* file = nullptr;
  long err = readable_file(fd, &file);
  if (err < 0) return err;
  if (offset < 0) return -EINVAL;
  if (count > kMaxRw) count = kMaxRw;
  if (count > 0 && !user_writable(buf, count)) return -EFAULT;
  return file->pread(buf, count, static_cast<uint64_t>(offset));
}

long sys_pwrite64(int fd, const void* buf, size_t count, long offset) {
  File* file = nullptr;
  long err = writable_file(fd, &file);
  if (err < 0) return err;
  if (offset < 0) return -EINVAL;
  if (count > kMaxRw) count = kMaxRw;
  if (count > 0 && !user_readable(buf, count)) return -EFAULT;
  return file->pwrite(buf, count, static_cast<uint64_t>(offset));
}

long sys_lseek(int fd, long offset, int whence) {
  File* file = fd_get(fd);
  if (file == nullptr || (file->m_flags & uapi::O_PATH)) return -EBADF;
  return file->lseek(offset, whence);
}

namespace {

// preadv/pwritev at an explicit offset: one pread/pwrite per buffer.
long rw_at(int fd, const uapi::Iovec* iov, int iovcnt, long offset, bool write) {
  File* file = nullptr;
  long err = write ? writable_file(fd, &file) : readable_file(fd, &file);
  if (err < 0) return err;
  err = check_iov(iov, iovcnt, !write);
  if (err < 0) return err;
  if (offset < 0) return -EINVAL;
  FileRef hold(file);
  long total = 0;
  for (int i = 0; i < iovcnt; ++i) {
    if (iov[i].len == 0) continue;
    uint64_t at = static_cast<uint64_t>(offset + total);
    long n = write ? file->pwrite(iov[i].base, iov[i].len, at) : file->pread(iov[i].base, iov[i].len, at);
    if (n < 0) return total > 0 ? total : n;
    total += n;
    if (static_cast<size_t>(n) < iov[i].len) break;
  }
  return total;
}

// Accepted: every write is already durable and nothing waits on a device.
constexpr int kRwfValid =
    uapi::RWF_HIPRI | uapi::RWF_DSYNC | uapi::RWF_SYNC | uapi::RWF_NOWAIT | uapi::RWF_APPEND;

}  // namespace

long sys_preadv(int fd, const uapi::Iovec* iov, int iovcnt, long offset) {
  return rw_at(fd, iov, iovcnt, offset, false);
}

long sys_pwritev(int fd, const uapi::Iovec* iov, int iovcnt, long offset) {
  return rw_at(fd, iov, iovcnt, offset, true);
}

long sys_preadv2(int fd, const uapi::Iovec* iov, int iovcnt, long offset, long, int flags) {
  if (flags & ~kRwfValid) return -EOPNOTSUPP;
  return offset == -1 ? sys_readv(fd, iov, iovcnt) : rw_at(fd, iov, iovcnt, offset, false);
}

long sys_pwritev2(int fd, const uapi::Iovec* iov, int iovcnt, long offset, long, int flags) {
  if (flags & ~kRwfValid) return -EOPNOTSUPP;
  return offset == -1 ? sys_writev(fd, iov, iovcnt) : rw_at(fd, iov, iovcnt, offset, true);
}
