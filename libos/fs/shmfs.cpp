#include "fs/shmfs.hpp"

#include "core/klib.hpp"
#include "fs/clock.hpp"
#include "ipc/region.hpp"
#include "ipc/shm_files.hpp"
#include "uapi/stat.hpp"
#include "vfs/alloc.hpp"

namespace libos::fs {
namespace {

using ipc::ShmFileRef;

// Inode numbers: the directory, then one per slot (stable while it lives).
constexpr uint64_t kDirIno = 1;
constexpr uint64_t kFirstFileIno = 16;

class ShmNode final : public Vnode {
 public:
  ShmFileRef m_ref;
  Vnode* m_dir = nullptr;
  int m_refs = 0;
  bool m_orphan = false;  // no longer cached: freed at its last unref

  FsId fs() const override { return FsId::shm; }
  bool read_only() const override { return false; }
  Vnode* parent() override { return m_dir; }

  // Vnode::stat reads the fields after size(): refresh them from the region
  // (another process may have written or truncated the file).
  uint64_t size() override {
    ipc::ShmFileStat st;
    if (ipc::shm_file_stat(m_ref, &st) < 0) {
      m_nlink = 0;
      return 0;
    }
    m_mode = st.mode;
    m_nlink = st.linked;
    m_atime_ns = st.atime_ns;
    m_mtime_ns = st.mtime_ns;
    m_ctime_ns = st.ctime_ns;
    return st.size;
  }

  void ref() override {
    if (m_refs++ == 0) ipc::shm_file_open(m_ref);
  }
  void unref() override {
    if (--m_refs > 0) return;
    ipc::shm_file_close(m_ref);
    if (m_orphan) destroy(this);
  }

  long read_at(void* buf, size_t len, uint64_t off) override { return ipc::shm_file_read(m_ref, buf, len, off); }
  long write_at(const void* buf, size_t len, uint64_t off) override {
    return ipc::shm_file_write(m_ref, buf, len, off);
  }
  long truncate(uint64_t len) override { return ipc::shm_file_truncate(m_ref, len); }
  long map_copy(void* dst, size_t len, uint64_t off) override {
    long n = ipc::shm_file_read(m_ref, dst, len, off);
    if (n < 0) return n;
    memset(static_cast<char*>(dst) + n, 0, len - static_cast<size_t>(n));
    return 0;
  }
  long map_shared(size_t len, uint64_t off) override { return ipc::shm_file_map(m_ref, len, off); }
};

ShmNode* g_nodes[ipc::kMaxShmFiles];

// This process's node of file f (one per live file, so that opens count).
ShmNode* node_for(Vnode* dir, ShmFileRef f) {
  ShmNode*& cached = g_nodes[f.slot];
  if (cached != nullptr && cached->m_ref.gen == f.gen) return cached;
  if (cached != nullptr) {
    if (cached->m_refs == 0) {
      destroy(cached);
    } else {
      cached->m_orphan = true;
    }
    cached = nullptr;
  }
  ShmNode* n = make<ShmNode>();
  if (n == nullptr) return nullptr;
  n->m_ref = f;
  n->m_dir = dir;
  n->m_ino = kFirstFileIno + static_cast<uint64_t>(f.slot);
  n->size();
  cached = n;
  return n;
}

class ShmDir final : public Vnode {
 public:
  Vnode* m_parent = nullptr;
  char m_name[256];

  FsId fs() const override { return FsId::shm; }
  bool read_only() const override { return false; }
  Vnode* parent() override { return m_parent; }
  long name(const char** out, size_t* len) override {
    *out = "shm";
    *len = 3;
    return 0;
  }
  uint64_t size() override { return 40; }
  bool empty() override { return !ipc::shm_file_any(); }

  Vnode* lookup(const char* name, size_t len) override {
    ShmFileRef f;
    if (ipc::shm_file_lookup(name, len, &f) < 0 || f.slot < 0) return nullptr;
    return node_for(this, f);
  }

  long create(const char* name, size_t len, uint32_t mode, Vnode** out) override {
    ShmFileRef f;
    long r = ipc::shm_file_create(name, len, mode, &f);
    if (r < 0) return r;
    ShmNode* n = node_for(this, f);
    if (n == nullptr) {
      ipc::shm_file_unlink(name, len);
      return -ENOMEM;
    }
    *out = n;
    touch();
    return 0;
  }

  long unlink(const char* name, size_t len) override {
    long r = ipc::shm_file_unlink(name, len);
    if (r == 0) touch();
    return r;
  }

  long readdir(uint64_t cookie, DirEntry* out) override {
    int slot = 0;
    size_t len = 0;
    uint64_t next = 0;
    if (ipc::shm_file_readdir(cookie - kFirstDirCookie, &slot, m_name, &len, &next) <= 0) return 0;
    out->ino = kFirstFileIno + static_cast<uint64_t>(slot);
    out->type = 8;  // DT_REG
    out->name = m_name;
    out->name_len = len;
    out->next = next + kFirstDirCookie;
    return 1;
  }

  // Only regular files live here (what shm_open and sem_open make).
  long mkdir(const char*, size_t, uint32_t) override { return -EPERM; }
  long symlink(const char*, size_t, const char*, size_t) override { return -EPERM; }
  long link(const char* name, size_t len, Vnode* node) override {
    long r = ipc::shm_file_link(static_cast<ShmNode*>(node)->m_ref, name, len);
    if (r == 0) touch();
    return r;
  }
  // The caller has checked that new_dir is of this file system: this one.
  long rename(const char* name, size_t len, Vnode* new_dir, const char* new_name, size_t new_len) override {
    (void)new_dir;
    long r = ipc::shm_file_rename(name, len, new_name, new_len);
    if (r == 0) touch();
    return r;
  }

  void touch() { m_mtime_ns = m_ctime_ns = now_ns(); }
};

}  // namespace

Vnode* shmfs_create(Vnode* parent) {
  if (!ipc::shm_files_available()) return nullptr;
  ShmDir* d = make<ShmDir>();
  if (d == nullptr) return nullptr;
  d->m_parent = parent;
  d->m_ino = kDirIno;
  d->m_mode = uapi::S_IFDIR | 01777;
  d->m_nlink = 2;
  d->m_mtime_ns = d->m_ctime_ns = d->m_atime_ns = now_ns();
  return d;
}

}  // namespace libos::fs
