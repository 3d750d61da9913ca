#include "vfs/file.hpp"

#include "core/klib.hpp"
#include "vfs/alloc.hpp"
#include "vfs/path.hpp"
#include "uapi/dirent.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/ioctl.hpp"
#include "uapi/stat.hpp"
#include "uapi/uio.hpp"
#include "uapi/unistd.hpp"

namespace libos::fs {

long File::writev(const uapi::Iovec* iov, int count) {
  long total = 0;
  for (int i = 0; i < count; ++i) {
    if (iov[i].len == 0) continue;
    long n = write(iov[i].base, iov[i].len);
    if (n < 0) return total > 0 ? total : n;
    total += n;
    if (static_cast<size_t>(n) < iov[i].len) break;
  }
  return total;
}

long File::readv(const uapi::Iovec* iov, int count) {
  bool fills_all = vnode() != nullptr && vnode()->seekable();
  long total = 0;
  for (int i = 0; i < count; ++i) {
    if (iov[i].len == 0) continue;
    long n = read(iov[i].base, iov[i].len);
    if (n < 0) return total > 0 ? total : n;
    total += n;
    if (static_cast<size_t>(n) < iov[i].len) break;
    // Streams (console, pipes) return what one read gives rather than wait
    // for more to fill the next buffer: a short read is what Linux does when
    // no more data is there yet.
    if (!fills_all) break;
  }
  return total;
}

void File::add_watch(FileWatch* w) {
  w->m_watch_prev = nullptr;
  w->m_watch_next = m_watches;
  if (m_watches != nullptr) m_watches->m_watch_prev = w;
  m_watches = w;
}

void File::remove_watch(FileWatch* w) {
  if (w->m_watch_prev != nullptr) w->m_watch_prev->m_watch_next = w->m_watch_next;
  else m_watches = w->m_watch_next;
  if (w->m_watch_next != nullptr) w->m_watch_next->m_watch_prev = w->m_watch_prev;
  w->m_watch_next = w->m_watch_prev = nullptr;
}

void File::notify_watches(uint32_t events) {
  // A watch's callback never removes watches (it queues an epoll item and
  // wakes threads), so the walk is stable.
  for (FileWatch* w = m_watches; w != nullptr; w = w->m_watch_next) w->changed(events);
}

void File::drop_watches() {
  while (m_watches != nullptr) {
    FileWatch* w = m_watches;
    remove_watch(w);
    w->gone();  // may free w
  }
}

VnodeFile* VnodeFile::create(Vnode* node, int flags) {
  VnodeFile* file = make<VnodeFile>();
  if (file == nullptr) return nullptr;
  node->ref();
  file->m_node = node;
  file->m_flags = flags;
  return file;
}

long VnodeFile::read(void* buf, size_t len) {
  if (m_node->is_dir()) return -EISDIR;
  if (!m_node->seekable()) return m_node->read_at(buf, len, 0);
  long n = m_node->read_at(buf, len, m_offset);
  if (n > 0) m_offset += static_cast<uint64_t>(n);
  return n;
}

long VnodeFile::write(const void* buf, size_t len) {
  if (!m_node->seekable()) return m_node->write_at(buf, len, 0);
  if (m_flags & uapi::O_APPEND) m_offset = m_node->size();
  long n = m_node->write_at(buf, len, m_offset);
  if (n > 0) m_offset += static_cast<uint64_t>(n);
  return n;
}

long VnodeFile::pread(void* buf, size_t len, uint64_t off) {
  if (!m_node->seekable()) return -ESPIPE;
  if (m_node->is_dir()) return -EISDIR;
  return m_node->read_at(buf, len, off);
}

long VnodeFile::pwrite(const void* buf, size_t len, uint64_t off) {
  if (!m_node->seekable()) return -ESPIPE;
  // Linux quirk kept: pwrite on an O_APPEND file appends.
  if (m_flags & uapi::O_APPEND) off = m_node->size();
  return m_node->write_at(buf, len, off);
}

long VnodeFile::lseek(int64_t off, int whence) {
  if (!m_node->seekable()) return -ESPIPE;
  // Linux's memory devices (null, zero, full, random) accept any seek and
  // stay at 0.
  if ((m_node->m_mode & uapi::S_IFMT) == uapi::S_IFCHR) {
    m_offset = 0;
    return 0;
  }
  int64_t size = static_cast<int64_t>(m_node->size());
  int64_t base;
  switch (whence) {
    case uapi::SEEK_SET: base = 0; break;
    case uapi::SEEK_CUR: base = static_cast<int64_t>(m_offset); break;
    case uapi::SEEK_END:
      if (m_node->is_dir()) return -EINVAL;
      base = size;
      break;
    case uapi::SEEK_DATA:
    case uapi::SEEK_HOLE:
      if (!m_node->is_reg()) return -EINVAL;
      // Files have no holes that matter here: all data, one hole at the end.
      if (off < 0 || off >= size) return -ENXIO;
      if (whence == uapi::SEEK_HOLE) off = size;
      m_offset = static_cast<uint64_t>(off);
      return off;
    default: return -EINVAL;
  }
  int64_t pos;
  if (__builtin_add_overflow(base, off, &pos) || pos < 0) return -EINVAL;
  m_offset = static_cast<uint64_t>(pos);
  return pos;
}

long VnodeFile::fstat(uapi::Stat* st) {
  m_node->stat(st);
  return 0;
}

long VnodeFile::getdents64(void* buf, size_t len) {
  if (!m_node->is_dir()) return -ENOTDIR;
  auto* out = static_cast<char*>(buf);
  size_t used = 0;
  for (;;) {
    DirEntry e;
    uint64_t cookie = m_offset;
    if (cookie == 0) {
      e = DirEntry{m_node->m_ino, uapi::dt_type(uapi::S_IFDIR), ".", 1, 1};
    } else if (cookie == 1) {
      e = DirEntry{m_node->parent()->m_ino, uapi::dt_type(uapi::S_IFDIR), "..", 2, kFirstDirCookie};
    } else if (m_node->readdir(cookie, &e) <= 0) {
      break;
    }
    size_t reclen = (uapi::kDirent64NameOffset + e.name_len + 1 + 7) & ~size_t{7};
    if (used + reclen > len) {
      if (used == 0) return -EINVAL;
      break;
    }
    auto* d = reinterpret_cast<uapi::Dirent64*>(out + used);
    d->ino = e.ino;
    d->off = static_cast<int64_t>(e.next);
    d->reclen = static_cast<uint16_t>(reclen);
    d->type = e.type;
    memcpy(d->name, e.name, e.name_len);
    memset(d->name + e.name_len, 0, reclen - uapi::kDirent64NameOffset - e.name_len);
    used += reclen;
    m_offset = e.next;
  }
  return static_cast<long>(used);
}

long VnodeFile::ioctl(unsigned long request, unsigned long arg) {
  if (request == uapi::FIONREAD && m_node->is_reg()) {
    // The caller checked arg is a writable int.
    uint64_t size = m_node->size();
    *reinterpret_cast<int*>(arg) = size > m_offset ? static_cast<int>(size - m_offset) : 0;
    return 0;
  }
  return m_node->ioctl(request, arg);
}

long VnodeFile::truncate(uint64_t len) {
  if (!writable() || !m_node->is_reg()) return -EINVAL;
  return m_node->truncate(len);
}

long VnodeFile::map_copy(void* dst, size_t len, uint64_t off) {
  if ((m_flags & uapi::O_PATH) != 0) return -EBADF;
  if (!readable()) return -EACCES;
  return m_node->map_copy(dst, len, off);
}

void VnodeFile::release() {
  m_node->unref();
  destroy(this);
}

}  // namespace libos::fs
