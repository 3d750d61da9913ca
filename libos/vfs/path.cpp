#include "vfs/path.hpp"

#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/limits.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {
namespace {

Vnode* g_root = nullptr;
Vnode* g_cwd = nullptr;

struct Mount {
  const char* name;
  size_t len;
  Vnode* root;
};
constexpr int kMaxMounts = 8;
Mount g_mounts[kMaxMounts];
int g_mount_count = 0;

long walk_from(Vnode* start, const char* p, size_t n, Follow follow, int* links, Walk* w);

// Resolves the symlink `link` found in directory `dir` to the node it names.
long follow_link(Vnode* dir, Vnode* link, int* links, Vnode** out) {
  if (++*links > uapi::kMaxSymlinks) return -ELOOP;
  if (Vnode* target = link->magic_target()) {
    *out = target;
    return 0;
  }
  const char* target = nullptr;
  size_t len = 0;
  long err = link->readlink(&target, &len);
  if (err < 0) return err;
  if (len == 0) return -ENOENT;
  Walk w;
  err = walk_from(dir, target, len, Follow::yes, links, &w);
  if (err < 0) return err;
  if (w.node == nullptr) return -ENOENT;
  if (w.trailing_slash && !w.node->is_dir()) return -ENOTDIR;
  *out = w.node;
  return 0;
}

long walk_from(Vnode* start, const char* p, size_t n, Follow follow, int* links, Walk* w) {
  Vnode* cur = start;
  size_t i = 0;
  if (p[0] == '/') {
    cur = g_root;
    while (i < n && p[i] == '/') ++i;
    if (i == n) {
      *w = Walk{cur, cur, nullptr, 0, LastType::root, false};
      return 0;
    }
  }
  for (;;) {
    if (!cur->is_dir()) return -ENOTDIR;
    size_t begin = i;
    while (i < n && p[i] != '/') ++i;
    const char* name = p + begin;
    size_t len = i - begin;
    bool slash = false;
    while (i < n && p[i] == '/') {
      ++i;
      slash = true;
    }
    bool last = i == n;
    if (len > uapi::kNameMax) return -ENAMETOOLONG;

    Vnode* next;
    LastType type = LastType::normal;
    if (len == 1 && name[0] == '.') {
      next = cur;
      type = LastType::dot;
    } else if (len == 2 && name[0] == '.' && name[1] == '.') {
      next = cur->parent();
      type = LastType::dotdot;
    } else {
      next = cur->lookup(name, len);
    }

    if (last) {
      *w = Walk{cur, next, name, len, type, slash};
      if (next != nullptr && next->is_link() &&
          (follow == Follow::yes || (follow == Follow::no && slash))) {
        Walk inner;
        if (Vnode* target = next->magic_target()) {
          if (++*links > uapi::kMaxSymlinks) return -ELOOP;
          w->node = target;
          return 0;
        }
        if (++*links > uapi::kMaxSymlinks) return -ELOOP;
        const char* text = nullptr;
        size_t text_len = 0;
        long err = next->readlink(&text, &text_len);
        if (err < 0) return err;
        if (text_len == 0) return -ENOENT;
        err = walk_from(cur, text, text_len, Follow::yes, links, &inner);
        if (err < 0) return err;
        inner.trailing_slash = inner.trailing_slash || slash;
        *w = inner;
      }
      return 0;
    }
    if (next == nullptr) return -ENOENT;
    if (next->is_link()) {
      long err = follow_link(cur, next, links, &next);
      if (err < 0) return err;
    }
    cur = next;
  }
}

}  // namespace

long user_path(const char* path) { return user_strnlen(path, uapi::kPathMax); }

long path_start(int dirfd, Vnode** out) {
  if (dirfd == uapi::AT_FDCWD) {
    *out = g_cwd;
    return 0;
  }
  File* file = fd_get(dirfd);
  if (file == nullptr) return -EBADF;
  Vnode* node = file->vnode();
  if (node == nullptr || !node->is_dir()) return -ENOTDIR;
  *out = node;
  return 0;
}

long path_walk(int dirfd, const char* path, Follow follow, Walk* w) {
  size_t len = strlen(path);
  if (len == 0) return -ENOENT;
  Vnode* start = g_root;
  if (path[0] != '/') {
    long err = path_start(dirfd, &start);
    if (err < 0) return err;
  }
  int links = 0;
  return walk_from(start, path, len, follow, &links, w);
}

long path_lookup(int dirfd, const char* path, bool follow_last, Vnode** out) {
  long len = user_path(path);
  if (len < 0) return len;
  if (len == 0) return -ENOENT;
  Walk w;
  long err = path_walk(dirfd, path, follow_last ? Follow::yes : Follow::no, &w);
  if (err < 0) return err;
  if (w.node == nullptr) return -ENOENT;
  if (w.trailing_slash && !w.node->is_dir()) return -ENOTDIR;
  *out = w.node;
  return 0;
}

long vnode_path(Vnode* dir, char* buf, size_t size) {
  // Built backwards from the end of a scratch buffer, then moved to buf.
  static char scratch[uapi::kPathMax];
  size_t pos = sizeof(scratch);
  Vnode* cur = dir;
  for (int depth = 0; cur != g_root; ++depth) {
    const char* name = nullptr;
    size_t len = 0;
    long err = cur->name(&name, &len);
    if (err < 0) return err;
    if (depth > 2048 || len + 1 > pos) return -ENAMETOOLONG;
    pos -= len;
    memcpy(scratch + pos, name, len);
    scratch[--pos] = '/';
    cur = cur->parent();
  }
  if (pos == sizeof(scratch)) scratch[--pos] = '/';
  size_t len = sizeof(scratch) - pos;
  if (len + 1 > size) return -ERANGE;
  memcpy(buf, scratch + pos, len);
  buf[len] = '\0';
  return static_cast<long>(len);
}

Vnode* root_vnode() { return g_root; }
Vnode* cwd_vnode() { return g_cwd; }
void set_root(Vnode* root) { g_root = root; }

void set_cwd(Vnode* dir) {
  dir->ref();
  if (g_cwd != nullptr) g_cwd->unref();
  g_cwd = dir;
}

void mount(const char* name, Vnode* root) {
  if (g_mount_count < kMaxMounts) g_mounts[g_mount_count++] = {name, strlen(name), root};
}

Vnode* mount_lookup(const char* name, size_t len) {
  for (int i = 0; i < g_mount_count; ++i) {
    if (g_mounts[i].len == len && memcmp(g_mounts[i].name, name, len) == 0) return g_mounts[i].root;
  }
  return nullptr;
}

long mount_entry(size_t index, DirEntry* out) {
  if (index >= static_cast<size_t>(g_mount_count)) return 0;
  const Mount& m = g_mounts[index];
  *out = DirEntry{m.root->m_ino, uapi::dt_type(m.root->m_mode), m.name, m.len, 0};
  return 1;
}

}  // namespace libos::fs
