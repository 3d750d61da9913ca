#include "fs/procfs.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "vfs/alloc.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/path.hpp"
#include "fs/proc_cmdline.hpp"
#include "fs/proc_stat.hpp"
#include "fs/static_dir.hpp"
#include "uapi/limits.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {
namespace {

// Text of the last link read; callers copy it out before the next call.
char g_link_text[uapi::kPathMax];

size_t format_u64(char* out, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return n;
}

// The text Linux shows for a node with no path of ours (pipes, console).
long describe(Vnode* node, const char** target, size_t* len) {
  long n = -ENOENT;
  if (node != nullptr && node->fs() != FsId::console) n = vnode_path(node, g_link_text, sizeof(g_link_text));
  if (n < 0) {
    const char* kind = node != nullptr && node->fs() == FsId::console ? "/dev/console" : "anon_inode:[file]";
    n = static_cast<long>(strlen(kind));
    memcpy(g_link_text, kind, static_cast<size_t>(n) + 1);
  }
  *target = g_link_text;
  *len = static_cast<size_t>(n);
  return 0;
}

// What /proc/self/fd/N leads to when the file has no node: a pipe (bash's
// process substitution opens /dev/fd/63, `cat /dev/stdin` reads a pipe).
// Linux opens the pipe again, a new description; here the open shares the
// descriptor's description, as dup does (O_NONBLOCK is therefore shared),
// and only in a direction the descriptor has. Other node-less files (sockets,
// eventfd, epoll) cannot be opened, ENXIO as Linux.
class ReopenNode final : public Vnode {
 public:
  File* m_file = nullptr;  // the descriptor's file; valid while it stays open
  FsId fs() const override { return FsId::pipe; }
  bool read_only() const override { return false; }
  long open(int flags, File** out) override {
    if ((m_mode & uapi::S_IFMT) != uapi::S_IFIFO || (flags & uapi::O_PATH) != 0) return -ENXIO;
    int acc = flags & uapi::O_ACCMODE;
    bool want_read = acc == uapi::O_RDONLY || acc == uapi::O_RDWR;
    bool want_write = acc == uapi::O_WRONLY || acc == uapi::O_RDWR;
    if ((want_read && !m_file->readable()) || (want_write && !m_file->writable())) return -EACCES;
    m_file->get();
    *out = m_file;
    return 0;
  }
};

class FdLink final : public Vnode {
 public:
  int m_fd = 0;
  ReopenNode m_reopen;
  FsId fs() const override { return FsId::proc; }
  Vnode* magic_target() override {
    File* file = fd_get(m_fd);
    if (file == nullptr) return nullptr;
    if (Vnode* node = file->vnode()) return node;
    uapi::Stat st;
    if (file->fstat(&st) < 0) return nullptr;
    m_reopen.m_file = file;
    m_reopen.m_mode = st.mode;
    m_reopen.m_ino = st.ino;
    return &m_reopen;
  }
  long readlink(const char** target, size_t* len) override {
    File* file = fd_get(m_fd);
    if (file == nullptr) return -ENOENT;
    uapi::Stat st;
    if (file->vnode() == nullptr && file->fstat(&st) == 0 && (st.mode & uapi::S_IFMT) == uapi::S_IFIFO) {
      // pipe:[ino], as Linux names a pipe.
      memcpy(g_link_text, "pipe:[", 6);
      size_t n = 6 + format_u64(g_link_text + 6, st.ino);
      g_link_text[n++] = ']';
      g_link_text[n] = '\0';
      *target = g_link_text;
      *len = n;
      return 0;
    }
    return describe(file->vnode(), target, len);
  }
};

class CwdLink final : public Vnode {
 public:
  FsId fs() const override { return FsId::proc; }
  Vnode* magic_target() override { return cwd_vnode(); }
  long readlink(const char** target, size_t* len) override { return describe(cwd_vnode(), target, len); }
};

// One link per descriptor number, made on first lookup; grown with the
// descriptor table (vfs/fdtable.hpp).
FdLink** g_fd_links = nullptr;
int g_fd_links_cap = 0;

FdLink** fd_link_slot(int fd) {
  if (fd >= g_fd_links_cap) {
    int cap = fd_capacity();
    if (fd >= cap) return nullptr;
    auto* bigger = static_cast<FdLink**>(kzalloc(sizeof(FdLink*) * static_cast<size_t>(cap)));
    if (bigger == nullptr) return nullptr;
    if (g_fd_links != nullptr) {
      memcpy(bigger, g_fd_links, sizeof(FdLink*) * static_cast<size_t>(g_fd_links_cap));
      kfree(g_fd_links);
    }
    g_fd_links = bigger;
    g_fd_links_cap = cap;
  }
  return &g_fd_links[fd];
}

class FdDir final : public Vnode {
 public:
  Vnode* m_parent = nullptr;
  FsId fs() const override { return FsId::proc; }
  Vnode* parent() override { return m_parent; }
  long name(const char** out, size_t* len) override {
    *out = "fd";
    *len = 2;
    return 0;
  }
  Vnode* lookup(const char* name, size_t len) override {
    if (len == 0 || len > 7 || (name[0] == '0' && len > 1)) return nullptr;
    int fd = 0;
    for (size_t i = 0; i < len; ++i) {
      if (name[i] < '0' || name[i] > '9') return nullptr;
      fd = fd * 10 + (name[i] - '0');
    }
    if (fd_get(fd) == nullptr) return nullptr;
    FdLink** slot = fd_link_slot(fd);
    if (slot == nullptr) return nullptr;
    if (*slot == nullptr) {
      FdLink* link = make<FdLink>();
      if (link == nullptr) return nullptr;
      link->m_fd = fd;
      link->m_ino = 0x1000 + static_cast<uint64_t>(fd);
      link->m_mode = uapi::S_IFLNK | 0700;
      *slot = link;
    }
    return *slot;
  }
  long readdir(uint64_t cookie, DirEntry* out) override {
    static char name[12];
    for (uint64_t fd = cookie - kFirstDirCookie; fd < static_cast<uint64_t>(fd_limit()); ++fd) {
      if (fd_get(static_cast<int>(fd)) == nullptr) continue;
      size_t len = format_u64(name, fd);
      *out = DirEntry{0x1000 + fd, uapi::dt_type(uapi::S_IFLNK), name, len, fd + 1 + kFirstDirCookie};
      return 1;
    }
    return 0;
  }
  bool empty() override { return false; }
};

}  // namespace

// The mount table, for df, mount and libraries that look for a mount point.
constexpr const char* kMounts =
    "shoal / ramfs ro,relatime 0 0\n"
    "tmpfs /tmp tmpfs rw,nosuid,nodev 0 0\n"
    "devtmpfs /dev devtmpfs rw,nosuid 0 0\n"
    "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
    "proc /proc proc rw,nosuid,nodev,noexec 0 0\n";

// The overcommit policy, which allocators read to choose how they give memory
// back: "0" (Linux's default, heuristic) is the LibOS's behaviour: a
// reservation costs nothing, accessible pages are committed out of --memory
// and a commit past it fails with ENOMEM. Without the file, jemalloc (redis)
// assumes no overcommit and decommits every purged extent with an
// mmap(PROT_NONE, MAP_FIXED), and commits it again with another.
constexpr const char* kOvercommit = "0\n";

namespace {
StaticLink* g_exe_link = nullptr;
char* g_exe_copy = nullptr;  // the link's target after an execve (kmalloc'd)
}  // namespace

void procfs_exec(const char* exe_path, const char* filename) {
  proc_self_stat_init(filename);
  if (g_exe_link == nullptr) return;
  size_t len = strlen(exe_path);
  auto* copy = static_cast<char*>(kmalloc(len + 1));
  if (copy == nullptr) return;
  memcpy(copy, exe_path, len + 1);
  g_exe_link->m_target = copy;
  g_exe_link->m_len = len;
  kfree(g_exe_copy);
  g_exe_copy = copy;
}

Vnode* procfs_create(Vnode* parent, const char* exe_path) {
  StaticDir* proc = StaticDir::create(FsId::proc, parent, "proc", 1);
  if (proc == nullptr) return nullptr;
  StaticDir* self = StaticDir::create(FsId::proc, proc, "self", 2);
  if (self == nullptr) return proc;
  proc->add("self", self);
  StaticFile* mounts = StaticFile::create(FsId::proc, kMounts, 6);
  proc->add("mounts", mounts);
  self->add("mounts", mounts);
  StaticDir* sys = StaticDir::create(FsId::proc, proc, "sys", 7);
  if (sys != nullptr) {
    proc->add("sys", sys);
    StaticDir* vm = StaticDir::create(FsId::proc, sys, "vm", 8);
    if (vm != nullptr) {
      sys->add("vm", vm);
      vm->add("overcommit_memory", StaticFile::create(FsId::proc, kOvercommit, 9));
    }
  }
  g_exe_link = StaticLink::create(FsId::proc, exe_path, 3);
  self->add("exe", g_exe_link);
  proc_self_stat_init(exe_path);
  self->add("stat", ProcText::create(&proc_self_stat_text, 10));
  self->add("comm", ProcText::create(&proc_comm_text, 13));
  self->add("cmdline", proc_cmdline_create(14));
  proc->add("uptime", ProcText::create(&proc_uptime_text, 11));
  proc->add("stat", ProcText::create(&proc_stat_text, 12));
  CwdLink* cwd = make<CwdLink>();
  if (cwd != nullptr) {
    cwd->m_ino = 4;
    cwd->m_mode = uapi::S_IFLNK | 0777;
    self->add("cwd", cwd);
  }
  FdDir* fds = make<FdDir>();
  if (fds != nullptr) {
    fds->m_parent = self;
    fds->m_ino = 5;
    fds->m_mode = uapi::S_IFDIR | 0500;
    fds->m_nlink = 2;
    self->add("fd", fds);
  }
  return proc;
}

}  // namespace libos::fs
