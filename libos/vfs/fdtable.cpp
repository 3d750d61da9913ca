#include "vfs/fdtable.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"

namespace libos::fs {
namespace {

struct FdSlot {
  File* file;
  bool cloexec;
};

// The first kMaxFds slots are static (no allocation at boot); a program that
// raises RLIMIT_NOFILE past them gets a heap table grown by doubling.
FdSlot g_first[kMaxFds];
FdSlot* g_fds = g_first;
int g_capacity = kMaxFds;
int g_limit = 0;  // every slot at or above is empty
int g_nofile = kMaxFds;

// Makes slot fd exist; false when the heap is out of memory.
bool grow_to(int fd) {
  if (fd < g_capacity) return true;
  int cap = g_capacity;
  while (cap <= fd) cap = cap > kFdHardMax / 2 ? kFdHardMax : cap * 2;
  auto* bigger = static_cast<FdSlot*>(kzalloc(sizeof(FdSlot) * static_cast<size_t>(cap)));
  if (bigger == nullptr) return false;
  memcpy(bigger, g_fds, sizeof(FdSlot) * static_cast<size_t>(g_capacity));
  if (g_fds != g_first) kfree(g_fds);
  g_fds = bigger;
  g_capacity = cap;
  return true;
}

}  // namespace

File* fd_get(int fd) {
  if (fd < 0 || fd >= g_capacity) return nullptr;
  return g_fds[fd].file;
}

bool fd_cloexec(int fd) { return fd_get(fd) != nullptr && g_fds[fd].cloexec; }

void fd_set_cloexec(int fd, bool on) {
  if (fd_get(fd) != nullptr) g_fds[fd].cloexec = on;
}

long fd_install(File* file, bool cloexec, int min_fd) {
  for (int fd = min_fd < 0 ? 0 : min_fd; fd < g_nofile; ++fd) {
    if (fd >= g_capacity && !grow_to(fd)) return -EMFILE;
    if (g_fds[fd].file == nullptr) {
      g_fds[fd] = {file, cloexec};
      if (fd >= g_limit) g_limit = fd + 1;
      return fd;
    }
  }
  return -EMFILE;
}

long fd_install_at(int fd, File* file, bool cloexec) {
  if (!grow_to(fd)) return -EMFILE;
  File* old = g_fds[fd].file;
  file->get();
  g_fds[fd] = {file, cloexec};
  if (fd >= g_limit) g_limit = fd + 1;
  // Drop the old file last: its release cannot see a half-updated slot.
  if (old != nullptr) old->put();
  return fd;
}

long fd_close(int fd) {
  File* file = fd_get(fd);
  if (file == nullptr) return -EBADF;
  g_fds[fd] = {nullptr, false};
  while (g_limit > 0 && g_fds[g_limit - 1].file == nullptr) --g_limit;
  file->put();
  return 0;
}

int fd_limit() { return g_limit; }

int fd_nofile() { return g_nofile; }

int fd_capacity() { return g_capacity; }

void fd_set_nofile(uint64_t soft_limit) {
  g_nofile = soft_limit < static_cast<uint64_t>(kFdHardMax) ? static_cast<int>(soft_limit) : kFdHardMax;
}

}  // namespace libos::fs

namespace libos::fs {

bool fd_has_free() {
  for (int fd = 0; fd < g_nofile; ++fd) {
    if (fd >= g_capacity || g_fds[fd].file == nullptr) return true;
  }
  return false;
}

uint32_t& umask_value() {
  static uint32_t mask = 022;
  return mask;
}

}  // namespace libos::fs
