#include "fs/tmpfs.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "fs/alloc.hpp"
#include "fs/clock.hpp"
#include "fs/path.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {
namespace {

class TmpNode;

struct TmpDirent {
  TmpDirent* next;
  TmpDirent* prev;
  TmpNode* node;
  uint64_t seq;  // readdir cookie: stable while other entries come and go
  size_t len;
  char name[1];  // len bytes + NUL, allocated with the entry
};

uint64_t g_next_ino = 2;
// Bytes per directory entry in st_size, as Linux's tmpfs (BOGO_DIRENT_SIZE).
constexpr uint64_t kBogoDirentSize = 20;

TmpDirent* dirent_alloc(const char* name, size_t len, TmpNode* node) {
  auto* d = static_cast<TmpDirent*>(kzalloc(sizeof(TmpDirent) + len));
  if (d == nullptr) return nullptr;
  d->node = node;
  d->len = len;
  memcpy(d->name, name, len);
  d->name[len] = '\0';
  return d;
}

class TmpNode final : public Vnode {
 public:
  // Every node: where it is linked (m_self nullptr: the root, or unlinked).
  Vnode* m_parent = nullptr;
  TmpDirent* m_self = nullptr;
  // Directories.
  TmpDirent* m_head = nullptr;
  TmpDirent* m_tail = nullptr;
  uint64_t m_next_seq = kFirstDirCookie;
  uint64_t m_entries = 0;
  // Regular files: bytes [0, m_cap) are stored, [m_cap, m_size) read as zero.
  char* m_data = nullptr;
  uint64_t m_size = 0;
  uint64_t m_cap = 0;
  int m_refs = 0;
  const char* m_mount_name = nullptr;  // the root: its name where it is mounted

  FsId fs() const override { return FsId::tmp; }
  bool read_only() const override { return false; }
  uint64_t size() override { return is_dir() ? (m_entries + 2) * kBogoDirentSize : m_size; }

  void ref() override { ++m_refs; }
  void unref() override {
    --m_refs;
    maybe_free();
  }
  void maybe_free() {
    if (m_nlink != 0 || m_refs > 0) return;
    kfree(m_data);
    destroy(this);
  }

  void touch() { m_mtime_ns = m_ctime_ns = now_ns(); }

  TmpDirent* find(const char* name, size_t len) {
    for (TmpDirent* d = m_head; d != nullptr; d = d->next) {
      if (d->len == len && memcmp(d->name, name, len) == 0) return d;
    }
    return nullptr;
  }
  void link(TmpDirent* d) {
    d->seq = m_next_seq++;
    d->prev = m_tail;
    d->next = nullptr;
    if (m_tail != nullptr) m_tail->next = d; else m_head = d;
    m_tail = d;
    ++m_entries;
    touch();
  }
  void unlink_entry(TmpDirent* d) {
    if (d->prev != nullptr) d->prev->next = d->next; else m_head = d->next;
    if (d->next != nullptr) d->next->prev = d->prev; else m_tail = d->prev;
    --m_entries;
    touch();
  }

  Vnode* lookup(const char* name, size_t len) override {
    TmpDirent* d = find(name, len);
    return d != nullptr ? d->node : nullptr;
  }
  Vnode* parent() override { return m_parent; }
  long name(const char** out, size_t* len) override {
    if (m_self == nullptr) {
      if (m_mount_name == nullptr) return -ENOENT;  // unlinked
      *out = m_mount_name;
      *len = strlen(m_mount_name);
      return 0;
    }
    *out = m_self->name;
    *len = m_self->len;
    return 0;
  }
  bool empty() override { return m_head == nullptr; }

  long readdir(uint64_t cookie, DirEntry* out) override {
    for (TmpDirent* d = m_head; d != nullptr; d = d->next) {
      if (d->seq < cookie) continue;
      *out = DirEntry{d->node->m_ino, uapi::dt_type(d->node->m_mode), d->name, d->len, d->seq + 1};
      return 1;
    }
    return 0;
  }

  static TmpNode* alloc(uint32_t mode) {
    TmpNode* n = make<TmpNode>();
    if (n == nullptr) return nullptr;
    n->m_ino = g_next_ino++;
    n->m_mode = mode;
    n->m_nlink = uapi::s_isdir(mode) ? 2 : 1;
    n->m_atime_ns = n->m_mtime_ns = n->m_ctime_ns = now_ns();
    return n;
  }

  // Makes a new node of type|mode and links it into this directory as name.
  long add_child(const char* name, size_t len, uint32_t type_and_mode, TmpNode** out) {
    if (m_nlink == 0) return -ENOENT;  // a removed directory takes no new entries
    TmpNode* n = alloc(type_and_mode);
    if (n == nullptr) return -ENOSPC;
    TmpDirent* d = dirent_alloc(name, len, n);
    if (d == nullptr) {
      n->m_nlink = 0;
      n->maybe_free();
      return -ENOSPC;
    }
    n->m_parent = this;
    n->m_self = d;
    link(d);
    *out = n;
    return 0;
  }

  long create(const char* name, size_t len, uint32_t mode, Vnode** out) override {
    TmpNode* n = nullptr;
    long rc = add_child(name, len, uapi::S_IFREG | (mode & 07777), &n);
    if (rc == 0) *out = n;
    return rc;
  }

  long mknod(const char* name, size_t len, uint32_t mode, Vnode** out) override {
    TmpNode* n = nullptr;
    long rc = add_child(name, len, mode, &n);
    if (rc == 0) *out = n;
    return rc;
  }

  // Links a new entry name -> n (n already holds its link count).
  long add_entry(const char* name, size_t len, TmpNode* n) {
    TmpDirent* d = dirent_alloc(name, len, n);
    if (d == nullptr) return -ENOSPC;
    if (n->m_self == nullptr) {
      n->m_parent = this;
      n->m_self = d;
    }
    link(d);
    return 0;
  }

  long symlink(const char* name, size_t len, const char* target, size_t target_len) override {
    if (m_nlink == 0) return -ENOENT;
    TmpNode* n = alloc(uapi::S_IFLNK | 0777);
    if (n == nullptr) return -ENOSPC;
    if (n->reserve(target_len + 1) < 0 || add_entry(name, len, n) < 0) {
      n->m_nlink = 0;
      n->maybe_free();
      return -ENOSPC;
    }
    memcpy(n->m_data, target, target_len);
    n->m_size = target_len;
    return 0;
  }

  long link(const char* name, size_t len, Vnode* node) override {
    if (m_nlink == 0) return -ENOENT;
    auto* n = static_cast<TmpNode*>(node);
    if (n->m_nlink == 0) return -ENOENT;  // an unlinked (or O_TMPFILE) file
    long err = add_entry(name, len, n);
    if (err < 0) return err;
    ++n->m_nlink;
    n->m_ctime_ns = now_ns();
    return 0;
  }

  long readlink(const char** target, size_t* len) override {
    if (!is_link()) return -EINVAL;
    *target = m_data;
    *len = m_size;
    return 0;
  }

  long create_unnamed(uint32_t mode, Vnode** out) override {
    if (m_nlink == 0) return -ENOENT;
    TmpNode* n = alloc(uapi::S_IFREG | (mode & 07777));
    if (n == nullptr) return -ENOSPC;
    n->m_nlink = 0;  // lives while open, like an unlinked file
    n->m_parent = this;
    *out = n;
    return 0;
  }

  long mkdir(const char* name, size_t len, uint32_t mode) override {
    TmpNode* n = nullptr;
    long rc = add_child(name, len, uapi::S_IFDIR | (mode & 07777), &n);
    if (rc != 0) return rc;
    ++m_nlink;  // the new directory's ".."
    return 0;
  }

  // Drops the entry d (already checked) and its node's link.
  void remove(TmpDirent* d) {
    TmpNode* n = d->node;
    unlink_entry(d);
    if (n->m_self == d) n->m_self = nullptr;
    kfree(d);
    if (n->is_dir()) {
      --m_nlink;
      n->m_nlink = 0;
    } else {
      --n->m_nlink;
    }
    n->m_ctime_ns = now_ns();
    n->maybe_free();
  }

  long unlink(const char* name, size_t len) override {
    TmpDirent* d = find(name, len);
    if (d == nullptr) return -ENOENT;
    if (d->node->is_dir()) return -EISDIR;
    remove(d);
    return 0;
  }

  long rmdir(const char* name, size_t len) override {
    TmpDirent* d = find(name, len);
    if (d == nullptr) return -ENOENT;
    if (!d->node->is_dir()) return -ENOTDIR;
    if (d->node->m_head != nullptr) return -ENOTEMPTY;
    remove(d);
    return 0;
  }

  long rename(const char* name, size_t len, Vnode* new_dir, const char* new_name,
              size_t new_len) override {
    auto* to = static_cast<TmpNode*>(new_dir);
    TmpDirent* d = find(name, len);
    if (d == nullptr) return -ENOENT;
    TmpNode* n = d->node;
    TmpDirent* fresh = dirent_alloc(new_name, new_len, n);
    if (fresh == nullptr) return -ENOSPC;
    // The caller checked type compatibility and emptiness of the target.
    if (TmpDirent* old = to->find(new_name, new_len)) to->remove(old);
    unlink_entry(d);
    kfree(d);
    to->link(fresh);
    if (n->is_dir()) {
      --m_nlink;
      ++to->m_nlink;
    }
    n->m_parent = to;
    n->m_self = fresh;
    n->m_ctime_ns = now_ns();
    return 0;
  }

  // Makes [0, want) stored, zero-filling new bytes.
  long reserve(uint64_t want) {
    if (want <= m_cap) return 0;
    uint64_t cap = m_cap < 64 ? 64 : m_cap;
    while (cap < want) cap = cap > (1ull << 40) ? want : cap * 2;
    auto* data = static_cast<char*>(krealloc(m_data, cap));
    if (data == nullptr) return -ENOSPC;
    memset(data + m_cap, 0, cap - m_cap);
    m_data = data;
    m_cap = cap;
    return 0;
  }

  long read_at(void* buf, size_t len, uint64_t off) override {
    if (off >= m_size) return 0;
    if (len > m_size - off) len = m_size - off;
    auto* out = static_cast<char*>(buf);
    size_t stored = off < m_cap ? (m_cap - off < len ? m_cap - off : len) : 0;
    memcpy(out, m_data + off, stored);
    memset(out + stored, 0, len - stored);
    return static_cast<long>(len);
  }

  long write_at(const void* buf, size_t len, uint64_t off) override {
    if (len == 0) return 0;
    uint64_t end;
    if (__builtin_add_overflow(off, len, &end) || end > (1ull << 62)) return -EFBIG;
    long err = reserve(end);
    if (err < 0) return err;
    memcpy(m_data + off, buf, len);
    if (end > m_size) m_size = end;
    touch();
    return static_cast<long>(len);
  }

  long truncate(uint64_t len) override {
    if (len < m_size && len < m_cap) {
      // Bytes past the new end must read as zero if the file grows again.
      uint64_t stored_end = m_size < m_cap ? m_size : m_cap;
      memset(m_data + len, 0, stored_end - len);
    }
    m_size = len;
    touch();
    return 0;
  }
};

}  // namespace

Vnode* tmpfs_create(Vnode* parent, const char* name) {
  TmpNode* root = TmpNode::alloc(uapi::S_IFDIR | 01777);
  if (root == nullptr) return nullptr;
  root->m_ino = 1;
  root->m_parent = parent;
  root->m_mount_name = name;
  root->ref();  // mounted: never freed
  return root;
}

Vnode* tmpfs_create_at(Vnode* parent, const char* name, uint32_t mode) {
  TmpNode* root = TmpNode::alloc(uapi::S_IFDIR | (mode & 07777));
  if (root == nullptr) return nullptr;
  root->m_parent = parent;
  root->m_mount_name = name;
  root->ref();  // mounted: never freed
  return root;
}

}  // namespace libos::fs
