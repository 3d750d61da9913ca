#include "ipc/shm_files.hpp"

#include "core/errno.hpp"
#include "core/family.hpp"
#include "core/klib.hpp"
#include "ipc/region.hpp"
#include "time/clock.hpp"
#include "uapi/stat.hpp"

namespace libos::ipc {

namespace {

int64_t now() { return static_cast<int64_t>(realtime_ns()); }

// The live file f names, under the lock; nullptr when it is gone.
ShmFile* get(Header* h, ShmFileRef f) {
  if (f.slot < 0 || f.slot >= kMaxShmFiles) return nullptr;
  ShmFile* e = &h->files[f.slot];
  return e->used && e->gen == f.gen ? e : nullptr;
}

// This process's MAP_SHARED mappings of /dev/shm files (process memory: a
// forked child inherits them, and they count once more for it).
struct Mapping {
  uint64_t addr;  // 0: free entry
  uint64_t len;
  ShmFileRef file;
};
constexpr int kMaxMappings = 256;
constinit Mapping g_maps[kMaxMappings] = {};

void release(Header* h, ShmFile* e) {
  if (e->offset != 0) free(h, e->offset, e->capacity);
  uint32_t gen = e->gen + 1;
  memset(e, 0, sizeof *e);
  e->gen = gen;
}

// Gives e at least bytes of pages (zero beyond its size). false: no room, or
// it would have to move while mapped.
bool reserve(Header* h, ShmFile* e, uint64_t bytes) {
  uint64_t want = (bytes + kPage - 1) & ~(kPage - 1);
  if (want <= e->capacity) return true;
  if (e->maps > 0 && e->offset != 0) return false;
  uint64_t fresh = alloc(h, want);
  if (fresh == 0) return false;
  if (e->offset != 0) {
    memcpy(base() + fresh, base() + e->offset, e->size);
    free(h, e->offset, e->capacity);
  }
  e->offset = fresh;
  e->capacity = want;
  return true;
}

struct Locked {
  Header* h;
  explicit Locked(Header* hh) : h(hh) { lock(h); }
  ~Locked() { unlock(h); }
};

ShmName* find_name(Header* h, const char* name, size_t len) {
  for (int i = 0; i < kMaxShmFiles; ++i) {
    ShmName* n = &h->names[i];
    if (n->used && n->len == len && memcmp(n->name, name, len) == 0) return n;
  }
  return nullptr;
}

ShmName* free_name(Header* h) {
  for (int i = 0; i < kMaxShmFiles; ++i)
    if (!h->names[i].used) return &h->names[i];
  return nullptr;
}

void set_name(ShmName* n, int slot, const char* name, size_t len) {
  n->used = 1;
  n->slot = slot;
  n->len = static_cast<uint32_t>(len);
  memcpy(n->name, name, len);
  n->name[len] = 0;
}

// Drops name n; the file goes with its last name unless it is open.
void drop_name(Header* h, ShmName* n) {
  ShmFile* e = &h->files[n->slot];
  memset(n, 0, sizeof *n);
  if (e->linked > 0) --e->linked;
  e->ctime_ns = now();
  if (e->linked == 0 && e->opens == 0 && e->maps == 0) release(h, e);
}

}  // namespace

bool shm_files_available() { return family::size() != 0; }

long shm_file_lookup(const char* name, size_t len, ShmFileRef* out) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmName* n = find_name(h, name, len);
  *out = n != nullptr ? ShmFileRef{n->slot, h->files[n->slot].gen} : ShmFileRef{};
  return 0;
}

long shm_file_create(const char* name, size_t len, uint32_t mode, ShmFileRef* out) {
  if (len > kShmNameMax) return -ENAMETOOLONG;
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmName* n = free_name(h);
  if (n == nullptr) return -ENOSPC;
  for (int i = 0; i < kMaxShmFiles; ++i) {
    ShmFile* e = &h->files[i];
    if (e->used) continue;
    uint32_t gen = e->gen;
    memset(e, 0, sizeof *e);
    e->gen = gen;
    e->used = e->linked = 1;
    e->mode = uapi::S_IFREG | (mode & 07777);
    e->atime_ns = e->mtime_ns = e->ctime_ns = now();
    set_name(n, i, name, len);
    *out = {i, gen};
    return 0;
  }
  return -ENOSPC;
}

long shm_file_link(ShmFileRef f, const char* name, size_t len) {
  if (len > kShmNameMax) return -ENAMETOOLONG;
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e == nullptr || e->linked == 0) return -ENOENT;
  if (find_name(h, name, len) != nullptr) return -EEXIST;
  ShmName* n = free_name(h);
  if (n == nullptr) return -ENOSPC;
  set_name(n, f.slot, name, len);
  ++e->linked;
  e->ctime_ns = now();
  return 0;
}

long shm_file_rename(const char* from, size_t from_len, const char* to, size_t to_len) {
  if (to_len > kShmNameMax) return -ENAMETOOLONG;
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmName* n = find_name(h, from, from_len);
  if (n == nullptr) return -ENOENT;
  ShmName* old = find_name(h, to, to_len);
  if (old == n) return 0;
  int slot = n->slot;
  if (old != nullptr) {
    if (old->slot == slot) {  // two names of one file: as Linux, nothing happens
      return 0;
    }
    drop_name(h, old);
  }
  set_name(n, slot, to, to_len);
  h->files[slot].ctime_ns = now();
  return 0;
}

long shm_file_unlink(const char* name, size_t len) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmName* n = find_name(h, name, len);
  if (n == nullptr) return -ENOENT;
  drop_name(h, n);
  return 0;
}

long shm_file_readdir(uint64_t index, int* slot, char* name, size_t* len, uint64_t* next) {
  Header* h = header();
  if (h == nullptr) return 0;
  Locked l(h);
  for (uint64_t i = index; i < static_cast<uint64_t>(kMaxShmFiles); ++i) {
    ShmName* n = &h->names[i];
    if (!n->used) continue;
    *slot = n->slot;
    memcpy(name, n->name, n->len);
    *len = n->len;
    *next = i + 1;
    return 1;
  }
  return 0;
}

bool shm_file_any() {
  Header* h = header();
  if (h == nullptr) return false;
  Locked l(h);
  for (int i = 0; i < kMaxShmFiles; ++i)
    if (h->names[i].used) return true;
  return false;
}

long shm_file_stat(ShmFileRef f, ShmFileStat* out) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e == nullptr) return -ENOENT;
  *out = {e->size, e->mode, e->linked, e->uid, e->gid, e->atime_ns, e->mtime_ns, e->ctime_ns};
  return 0;
}

long shm_file_read(ShmFileRef f, void* buf, size_t len, uint64_t off) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e == nullptr) return -ENOENT;
  if (off >= e->size) return 0;
  uint64_t n = e->size - off < len ? e->size - off : len;
  memcpy(buf, base() + e->offset + off, n);
  return static_cast<long>(n);
}

long shm_file_write(ShmFileRef f, const void* buf, size_t len, uint64_t off) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  if (off + len < off) return -EFBIG;
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e == nullptr) return -ENOENT;
  if (len == 0) return 0;
  if (!reserve(h, e, off + len)) return -ENOSPC;
  memcpy(base() + e->offset + off, buf, len);
  if (off + len > e->size) e->size = off + len;
  e->mtime_ns = e->ctime_ns = now();
  return static_cast<long>(len);
}

long shm_file_truncate(ShmFileRef f, uint64_t len) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e == nullptr) return -ENOENT;
  if (len > e->size && !reserve(h, e, len)) return e->maps > 0 ? -ENOMEM : -ENOSPC;
  // Bytes cut off read as zero if the file grows again (and in mappings).
  if (len < e->size) memset(base() + e->offset + len, 0, e->size - len);
  e->size = len;
  e->mtime_ns = e->ctime_ns = now();
  return 0;
}

long shm_file_chmod(ShmFileRef f, uint32_t mode) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e == nullptr) return -ENOENT;
  e->mode = uapi::S_IFREG | (mode & 07777);
  e->ctime_ns = now();
  return 0;
}

long shm_file_map(ShmFileRef f, uint64_t len, uint64_t off) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  if (off + len < off) return -EOVERFLOW;
  Mapping* slot = nullptr;
  for (int i = 0; i < kMaxMappings && slot == nullptr; ++i)
    if (g_maps[i].addr == 0) slot = &g_maps[i];
  if (slot == nullptr) return -ENOMEM;  // as Linux past vm.max_map_count
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e == nullptr) return -ENXIO;
  if (!reserve(h, e, off + len)) return -ENOMEM;
  ++e->maps;
  uint64_t addr = reinterpret_cast<uint64_t>(base()) + e->offset + off;
  *slot = {addr, len, f};
  return static_cast<long>(addr);
}

void shm_file_unmapped(uint64_t addr, uint64_t len) {
  Header* h = header();
  if (h == nullptr) return;
  Locked l(h);
  for (int i = 0; i < kMaxMappings; ++i) {
    Mapping& m = g_maps[i];
    // A mapping the range covers entirely is gone; one it cuts into stays
    // counted (its file keeps its pages until the rest goes too).
    if (m.addr == 0 || m.addr < addr || m.addr + m.len > addr + len) continue;
    ShmFile* e = get(h, m.file);
    m = {};
    if (e == nullptr) continue;
    if (e->maps > 0) --e->maps;
    if (e->maps == 0 && e->linked == 0 && e->opens == 0) release(h, e);
  }
}

void shm_files_exit() {
  Header* h = header();
  if (h == nullptr) return;
  for (int i = 0; i < kMaxMappings; ++i)
    if (g_maps[i].addr != 0) shm_file_unmapped(g_maps[i].addr, g_maps[i].len);
}

void shm_files_fork_child() {
  Header* h = header();
  if (h == nullptr) return;
  Locked l(h);
  for (int i = 0; i < kMaxMappings; ++i) {
    if (g_maps[i].addr == 0) continue;
    ShmFile* e = get(h, g_maps[i].file);
    if (e != nullptr) ++e->maps;
  }
}

void shm_file_open(ShmFileRef f) {
  Header* h = header();
  if (h == nullptr) return;
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e != nullptr) ++e->opens;
}

void shm_file_close(ShmFileRef f) {
  Header* h = header();
  if (h == nullptr) return;
  Locked l(h);
  ShmFile* e = get(h, f);
  if (e == nullptr) return;
  if (e->opens > 0) --e->opens;
  if (e->opens == 0 && !e->linked && e->maps == 0) release(h, e);
}

void shm_file_usage(uint64_t* pages, uint64_t* used) {
  Header* h = header();
  if (h == nullptr) {
    *pages = *used = 0;
    return;
  }
  Locked l(h);
  *pages = h->pages;
  *used = h->used_pages;
}

}  // namespace libos::ipc
