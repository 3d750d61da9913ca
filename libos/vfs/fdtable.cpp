#include "vfs/fdtable.hpp"

namespace libos::fs {
namespace {

struct FdSlot {
  File* file;
  bool cloexec;
};

FdSlot g_fds[kMaxFds];
int g_limit = 0;  // every slot at or above is empty
int g_nofile = kMaxFds;

}  // namespace

File* fd_get(int fd) {
  if (fd < 0 || fd >= kMaxFds) return nullptr;
  return g_fds[fd].file;
}

bool fd_cloexec(int fd) { return fd_get(fd) != nullptr && g_fds[fd].cloexec; }

void fd_set_cloexec(int fd, bool on) {
  if (fd_get(fd) != nullptr) g_fds[fd].cloexec = on;
}

long fd_install(File* file, bool cloexec, int min_fd) {
  for (int fd = min_fd < 0 ? 0 : min_fd; fd < g_nofile; ++fd) {
    if (g_fds[fd].file == nullptr) {
      g_fds[fd] = {file, cloexec};
      if (fd >= g_limit) g_limit = fd + 1;
      return fd;
    }
  }
  return -EMFILE;
}

void fd_install_at(int fd, File* file, bool cloexec) {
  File* old = g_fds[fd].file;
  file->get();
  g_fds[fd] = {file, cloexec};
  if (fd >= g_limit) g_limit = fd + 1;
  // Drop the old file last: its release cannot see a half-updated slot.
  if (old != nullptr) old->put();
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

void fd_set_nofile(uint64_t soft_limit) {
  g_nofile = soft_limit < static_cast<uint64_t>(kMaxFds) ? static_cast<int>(soft_limit) : kMaxFds;
}

}  // namespace libos::fs

namespace libos::fs {

bool fd_has_free() {
  for (int fd = 0; fd < g_nofile; ++fd) {
    if (g_fds[fd].file == nullptr) return true;
  }
  return false;
}

uint32_t& umask_value() {
  static uint32_t mask = 022;
  return mask;
}

}  // namespace libos::fs
