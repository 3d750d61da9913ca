#include "fs/static_dir.hpp"

#include "core/klib.hpp"
#include "vfs/alloc.hpp"
#include "fs/clock.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {

StaticDir* StaticDir::create(FsId fs, Vnode* parent, const char* name, uint64_t ino) {
  StaticDir* dir = make<StaticDir>();
  if (dir == nullptr) return nullptr;
  dir->m_fs = fs;
  dir->m_parent = parent != nullptr ? parent : dir;
  dir->m_name = name;
  dir->m_ino = ino;
  dir->m_mode = uapi::S_IFDIR | 0555;
  dir->m_nlink = 2;
  dir->m_atime_ns = dir->m_mtime_ns = dir->m_ctime_ns = now_ns();
  return dir;
}

void StaticDir::add(const char* name, Vnode* node) {
  if (node == nullptr || m_count == kMaxChildren) return;
  m_children[m_count++] = {name, strlen(name), node};
  if (node->is_dir()) ++m_nlink;
}

Vnode* StaticDir::lookup(const char* name, size_t len) {
  for (int i = 0; i < m_count; ++i) {
    if (m_children[i].len == len && memcmp(m_children[i].name, name, len) == 0) {
      return m_children[i].node;
    }
  }
  return nullptr;
}

long StaticDir::name(const char** out, size_t* len) {
  *out = m_name;
  *len = strlen(m_name);
  return 0;
}

long StaticDir::readdir(uint64_t cookie, DirEntry* out) {
  uint64_t i = cookie - kFirstDirCookie;
  if (i >= static_cast<uint64_t>(m_count)) return 0;
  const Child& c = m_children[i];
  *out = DirEntry{c.node->m_ino, uapi::dt_type(c.node->m_mode), c.name, c.len, cookie + 1};
  return 1;
}

StaticLink* StaticLink::create(FsId fs, const char* target, uint64_t ino) {
  StaticLink* link = make<StaticLink>();
  if (link == nullptr) return nullptr;
  link->m_fs = fs;
  link->m_target = target;
  link->m_len = strlen(target);
  link->m_ino = ino;
  link->m_mode = uapi::S_IFLNK | 0777;
  link->m_atime_ns = link->m_mtime_ns = link->m_ctime_ns = now_ns();
  return link;
}

StaticFile* StaticFile::create(FsId fs, const char* text, uint64_t ino) {
  StaticFile* file = make<StaticFile>();
  if (file == nullptr) return nullptr;
  file->m_fs = fs;
  file->m_text = text;
  file->m_len = strlen(text);
  file->m_ino = ino;
  file->m_mode = uapi::S_IFREG | 0444;
  file->m_atime_ns = file->m_mtime_ns = file->m_ctime_ns = now_ns();
  return file;
}

long StaticFile::read_at(void* buf, size_t len, uint64_t off) {
  if (off >= m_len) return 0;
  if (len > m_len - off) len = m_len - off;
  memcpy(buf, m_text + off, len);
  return static_cast<long>(len);
}

}  // namespace libos::fs
