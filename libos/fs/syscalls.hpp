// File and descriptor system calls of the LibOS (the `fs` component).
//
// Contract with the dispatcher (libos/syscalls): every handler takes the raw
// register values of the Linux x86-64 system call, typed as Linux declares
// them, and returns the result or -errno exactly as Linux would. User pointers
// are unchecked on entry; each handler checks them and returns -EFAULT.
#pragma once

#include <stddef.h>
#include <stdint.h>

// Linux x86-64 structure layouts, defined in fs/linux_types.hpp.
namespace libos::lx {
struct Iovec;
struct Stat;
struct Statx;
struct Statfs;
struct Pollfd;
struct Timespec;
}  // namespace libos::lx

long sys_read(int fd, void* buf, size_t count);
long sys_write(int fd, const void* buf, size_t count);
long sys_readv(int fd, const libos::lx::Iovec* iov, int iovcnt);
long sys_writev(int fd, const libos::lx::Iovec* iov, int iovcnt);
long sys_pread64(int fd, void* buf, size_t count, long offset);
long sys_pwrite64(int fd, const void* buf, size_t count, long offset);
long sys_open(const char* path, int flags, unsigned mode);
long sys_openat(int dirfd, const char* path, int flags, unsigned mode);
long sys_close(int fd);
long sys_lseek(int fd, long offset, int whence);
long sys_fstat(int fd, libos::lx::Stat* st);
long sys_stat(const char* path, libos::lx::Stat* st);
long sys_lstat(const char* path, libos::lx::Stat* st);
long sys_newfstatat(int dirfd, const char* path, libos::lx::Stat* st, int flags);
long sys_statx(int dirfd, const char* path, int flags, unsigned mask, libos::lx::Statx* stx);
long sys_getdents64(int fd, void* dirp, unsigned count);
long sys_ioctl(int fd, unsigned long request, unsigned long arg);
long sys_fcntl(int fd, int cmd, unsigned long arg);
long sys_dup(int oldfd);
long sys_dup2(int oldfd, int newfd);
long sys_dup3(int oldfd, int newfd, int flags);
long sys_pipe(int* fds);
long sys_pipe2(int* fds, int flags);
long sys_mkdir(const char* path, unsigned mode);
long sys_mkdirat(int dirfd, const char* path, unsigned mode);
long sys_unlink(const char* path);
long sys_unlinkat(int dirfd, const char* path, int flags);
long sys_rmdir(const char* path);
long sys_rename(const char* oldpath, const char* newpath);
long sys_renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath);
long sys_access(const char* path, int mode);
long sys_faccessat(int dirfd, const char* path, int mode);
long sys_readlink(const char* path, char* buf, size_t bufsiz);
long sys_readlinkat(int dirfd, const char* path, char* buf, size_t bufsiz);
long sys_getcwd(char* buf, size_t size);
long sys_chdir(const char* path);
long sys_ftruncate(int fd, long length);
long sys_truncate(const char* path, long length);
long sys_fsync(int fd);
long sys_fdatasync(int fd);
long sys_umask(unsigned mask);
long sys_statfs(const char* path, libos::lx::Statfs* buf);
long sys_fstatfs(int fd, libos::lx::Statfs* buf);
// Beyond the first list (glibc's closefrom uses it; wire it as nr 436).
long sys_close_range(unsigned first, unsigned last, unsigned flags);
long sys_poll(libos::lx::Pollfd* fds, unsigned long nfds, int timeout_ms);
long sys_ppoll(libos::lx::Pollfd* fds, unsigned long nfds, const libos::lx::Timespec* timeout,
               const void* sigmask, size_t sigsetsize);

namespace libos {

// Copies file content for a private file mapping (mmap without MAP_ANONYMOUS):
// len bytes from offset of fd's file into dst; bytes past end of file read as
// zero. Returns 0 or -errno as mmap would: -EBADF (no such fd), -EACCES (not
// opened for reading), -ENODEV (the file cannot be mapped: console, pipe, dir).
long fs_mmap_file(int fd, void* dst, size_t len, uint64_t offset);

}  // namespace libos
