// The descriptor table: lowest free first, each slot pointing at a shared
// open file description and carrying FD_CLOEXEC. 1024 slots (RLIMIT_NOFILE's
// soft limit) to start with; it grows up to the hard limit, kFdHardMax, when
// the program raises the soft one.
#pragma once

#include "vfs/file.hpp"

namespace libos::fs {

// The first table's size, and fd_set's (FD_SETSIZE: select sees no further).
inline constexpr int kMaxFds = 1024;
// RLIMIT_NOFILE's hard limit: systemd's default for services (524288).
inline constexpr int kFdHardMax = 524288;

// The file at fd without taking a reference, or nullptr (-EBADF).
File* fd_get(int fd);
bool fd_cloexec(int fd);
void fd_set_cloexec(int fd, bool on);
// Installs file (taking over the caller's reference) at the lowest free fd
// >= min_fd; -EMFILE when full (the caller keeps its reference then).
long fd_install(File* file, bool cloexec, int min_fd = 0);
// Installs file at exactly fd (below fd_nofile()), closing what was there.
// Takes a reference. -EMFILE when the table cannot grow to fd.
long fd_install_at(int fd, File* file, bool cloexec);
long fd_close(int fd);
// For poll and /proc/self/fd: one past the highest open fd.
int fd_limit();
// Slots in the table now (descriptors at or above are closed).
int fd_capacity();
// RLIMIT_NOFILE's soft limit as the table applies it (at most kFdHardMax): new
// descriptors are below it. The resource-limit code (syscalls/limits.cpp)
// calls fd_set_nofile when the program changes the limit.
int fd_nofile();
void fd_set_nofile(uint64_t soft_limit);

}  // namespace libos::fs

namespace libos::fs {
// Linux reserves the descriptor before resolving the path: -EMFILE wins
// over lookup errors.
bool fd_has_free();
// The process umask (umask(2)), applied to O_CREAT and mkdir modes.
uint32_t& umask_value();
}  // namespace libos::fs
