#include "fs/vnode.hpp"

#include "core/klib.hpp"
#include "fs/file.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {

void Vnode::stat(uapi::Stat* st) {
  memset(st, 0, sizeof(*st));
  // Each file system its own st_dev, as distinct mounts have on Linux.
  st->dev = 0x20 + static_cast<uint64_t>(fs());
  st->ino = m_ino;
  st->nlink = m_nlink;
  st->mode = m_mode;
  st->rdev = m_rdev;
  uint64_t bytes = size();
  st->size = static_cast<int64_t>(bytes);
  st->blksize = 4096;
  if (is_reg() || is_dir()) st->blocks = static_cast<int64_t>(((bytes + 4095) / 4096) * 8);
  st->atime_sec = m_atime_ns / 1000000000;
  st->atime_nsec = static_cast<uint64_t>(m_atime_ns % 1000000000);
  st->mtime_sec = m_mtime_ns / 1000000000;
  st->mtime_nsec = static_cast<uint64_t>(m_mtime_ns % 1000000000);
  st->ctime_sec = m_ctime_ns / 1000000000;
  st->ctime_nsec = static_cast<uint64_t>(m_ctime_ns % 1000000000);
}

long Vnode::create(const char*, size_t, uint32_t, Vnode**) { return -EROFS; }
long Vnode::mkdir(const char*, size_t, uint32_t) { return -EROFS; }
long Vnode::unlink(const char*, size_t) { return -EROFS; }
long Vnode::symlink(const char*, size_t, const char*, size_t) { return -EROFS; }
long Vnode::link(const char*, size_t, Vnode*) { return -EROFS; }
long Vnode::rmdir(const char*, size_t) { return -EROFS; }
long Vnode::rename(const char*, size_t, Vnode*, const char*, size_t) { return -EROFS; }

long Vnode::open(int flags, File** out) {
  // A socket's name cannot be opened (Linux: no open for sockets, ENXIO).
  if ((m_mode & uapi::S_IFMT) == uapi::S_IFSOCK && (flags & uapi::O_PATH) == 0) return -ENXIO;
  VnodeFile* file = VnodeFile::create(this, flags);
  if (file == nullptr) return -ENOMEM;
  *out = file;
  return 0;
}

long Vnode::map_copy(void* dst, size_t len, uint64_t off) {
  if (!is_reg()) return -ENODEV;
  auto* out = static_cast<char*>(dst);
  size_t done = 0;
  while (done < len) {
    long n = read_at(out + done, len - done, off + done);
    if (n < 0) return n;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  // Bytes past the end of the file read as zero, as in a private mapping.
  memset(out + done, 0, len - done);
  return 0;
}

}  // namespace libos::fs
