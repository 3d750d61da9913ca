// copy_file_range: a copy between two regular files inside the LibOS, with
// Linux 6.x's rules (the checks of vfs_copy_file_range and
// generic_copy_file_checks, in their order). Files on different file systems
// (the image's read-only root and a tmpfs) give EXDEV as on Linux since 5.19,
// so programs fall back to read and write as they do there.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "fs/syscalls.hpp"
#include "uapi/fcntl.hpp"

using namespace libos;
using namespace libos::fs;

namespace {

// Reads an optional user offset; -EFAULT when it cannot be read.
long read_offset(const int64_t* user, int64_t* out) {
  if (user == nullptr) return 0;
  if (!user_readable(user, sizeof(*user))) return -EFAULT;
  *out = *user;
  return 0;
}

long copy_checked(File* in, int64_t* in_off, File* out, int64_t* out_off, size_t len, unsigned flags) {
  if (flags != 0) return -EINVAL;
  Vnode* a = in->vnode();
  Vnode* b = out->vnode();
  if ((a != nullptr && a->is_dir()) || (b != nullptr && b->is_dir())) return -EISDIR;
  if (a == nullptr || b == nullptr || !a->is_reg() || !b->is_reg()) return -EINVAL;
  if (!in->readable() || !out->writable() || (out->m_flags & uapi::O_APPEND) != 0) return -EBADF;
  int64_t pos_in = in_off != nullptr ? *in_off : static_cast<int64_t>(in->m_offset);
  int64_t pos_out = out_off != nullptr ? *out_off : static_cast<int64_t>(out->m_offset);
  uint64_t count = len;
  // Linux's wrap check, in unsigned arithmetic as the kernel computes it.
  if (static_cast<uint64_t>(pos_in) + count < static_cast<uint64_t>(pos_in) ||
      static_cast<uint64_t>(pos_out) + count < static_cast<uint64_t>(pos_out)) {
    return -EOVERFLOW;
  }
  // Shortened to what the input holds; the same file must not overlap.
  uint64_t size_in = a->size();
  count = pos_in < 0 || static_cast<uint64_t>(pos_in) >= size_in ? 0
          : (count < size_in - static_cast<uint64_t>(pos_in) ? count : size_in - static_cast<uint64_t>(pos_in));
  if (a == b && pos_out + static_cast<int64_t>(count) > pos_in && pos_out < pos_in + static_cast<int64_t>(count)) {
    return -EINVAL;
  }
  if (a->fs() != b->fs()) return -EXDEV;
  if (pos_in < 0 || pos_out < 0) return -EINVAL;  // rw_verify_area
  if (count == 0) return 0;

  char buf[4096];
  uint64_t done = 0;
  long err = 0;
  while (done < count) {
    size_t want = count - done < sizeof(buf) ? count - done : sizeof(buf);
    long n = in->pread(buf, want, static_cast<uint64_t>(pos_in) + done);
    if (n <= 0) {
      err = n;
      break;
    }
    long w = out->pwrite(buf, static_cast<size_t>(n), static_cast<uint64_t>(pos_out) + done);
    if (w < 0) {
      err = w;
      break;
    }
    done += static_cast<uint64_t>(w);
    if (w < n) break;
  }
  if (done == 0) return err;
  if (in_off != nullptr) *in_off += static_cast<int64_t>(done); else in->m_offset += done;
  if (out_off != nullptr) *out_off += static_cast<int64_t>(done); else out->m_offset += done;
  return static_cast<long>(done);
}

}  // namespace

long sys_copy_file_range(int fd_in, int64_t* off_in, int fd_out, int64_t* off_out, size_t len, unsigned flags) {
  File* in = fd_get(fd_in);
  if (in == nullptr) return -EBADF;
  File* out = fd_get(fd_out);
  if (out == nullptr) return -EBADF;
  int64_t pos_in = 0, pos_out = 0;
  long err = read_offset(off_in, &pos_in);
  if (err == 0) err = read_offset(off_out, &pos_out);
  if (err < 0) return err;
  in->get();
  out->get();
  long r = copy_checked(in, off_in != nullptr ? &pos_in : nullptr, out, off_out != nullptr ? &pos_out : nullptr,
                        len, flags);
  out->put();
  in->put();
  if (r > 0) {
    // Linux writes the offsets back with copy_to_user after the copy.
    if (off_in != nullptr && user_writable(off_in, sizeof(*off_in))) *off_in = pos_in;
    if (off_out != nullptr && user_writable(off_out, sizeof(*off_out))) *off_out = pos_out;
  }
  return r;
}
