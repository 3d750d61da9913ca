// File and descriptor system calls of the LibOS (the `fs` component).
//
// Contract with the dispatcher (libos/syscalls): every handler takes the raw
// register values of the Linux x86-64 system call, typed as Linux declares
// them, and returns the result or -errno exactly as Linux would. User pointers
// are unchecked on entry; each handler checks them and returns -EFAULT.
#pragma once

#include <stddef.h>
#include <stdint.h>

// Linux x86-64 structure layouts, defined in libos/uapi.
namespace libos::uapi {
struct Iovec;
struct Stat;
struct Statx;
struct Statfs;
struct Pollfd;
struct Timespec;
struct Timeval;
}  // namespace libos::uapi

long sys_read(int fd, void* buf, size_t count);
long sys_write(int fd, const void* buf, size_t count);
long sys_readv(int fd, const libos::uapi::Iovec* iov, int iovcnt);
long sys_writev(int fd, const libos::uapi::Iovec* iov, int iovcnt);
long sys_pread64(int fd, void* buf, size_t count, long offset);
long sys_pwrite64(int fd, const void* buf, size_t count, long offset);
long sys_open(const char* path, int flags, unsigned mode);
long sys_openat(int dirfd, const char* path, int flags, unsigned mode);
long sys_close(int fd);
long sys_lseek(int fd, long offset, int whence);
long sys_fstat(int fd, libos::uapi::Stat* st);
long sys_stat(const char* path, libos::uapi::Stat* st);
long sys_lstat(const char* path, libos::uapi::Stat* st);
long sys_newfstatat(int dirfd, const char* path, libos::uapi::Stat* st, int flags);
long sys_statx(int dirfd, const char* path, int flags, unsigned mask, libos::uapi::Statx* stx);
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
long sys_statfs(const char* path, libos::uapi::Statfs* buf);
long sys_fstatfs(int fd, libos::uapi::Statfs* buf);
// Beyond the first list (glibc's closefrom uses it; wire it as nr 436).
long sys_close_range(unsigned first, unsigned last, unsigned flags);
// Attributes (fs/sys_attr.cpp): modes and times on writable file systems;
// ownership accepted (one user); EROFS on the read-only root.
long sys_chmod(const char* path, unsigned mode);
long sys_fchmod(int fd, unsigned mode);
long sys_fchmodat(int dirfd, const char* path, unsigned mode);
long sys_chown(const char* path, unsigned uid, unsigned gid);
long sys_fchown(int fd, unsigned uid, unsigned gid);
long sys_lchown(const char* path, unsigned uid, unsigned gid);
long sys_fchownat(int dirfd, const char* path, unsigned uid, unsigned gid, int flags);
long sys_utimensat(int dirfd, const char* path, const libos::uapi::Timespec* times, int flags);
long sys_symlink(const char* target, const char* path);
long sys_symlinkat(const char* target, int dirfd, const char* path);
long sys_link(const char* oldpath, const char* newpath);
long sys_linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags);
long sys_sendfile(int out_fd, int in_fd, long* offset, size_t count);
long sys_copy_file_range(int fd_in, int64_t* off_in, int fd_out, int64_t* off_out, size_t len, unsigned flags);
// fs/sys_rw.cpp: vectored I/O at an offset (x86-64 passes it whole in pos_l).
long sys_preadv(int fd, const libos::uapi::Iovec* iov, int iovcnt, long offset);
long sys_pwritev(int fd, const libos::uapi::Iovec* iov, int iovcnt, long offset);
long sys_preadv2(int fd, const libos::uapi::Iovec* iov, int iovcnt, long offset, long pos_h, int flags);
long sys_pwritev2(int fd, const libos::uapi::Iovec* iov, int iovcnt, long offset, long pos_h, int flags);
// fs/sys_more.cpp.
long sys_creat(const char* path, unsigned mode);
long sys_fchdir(int fd);
long sys_renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, unsigned flags);
long sys_fadvise64(int fd, long offset, long len, int advice);
long sys_fallocate(int fd, int mode, long offset, long len);
long sys_sync();
long sys_syncfs(int fd);
long sys_flock(int fd, int op);
long sys_utime(const char* path, const void* times);
long sys_utimes(const char* path, const void* times);
long sys_futimesat(int dirfd, const char* path, const void* times);
long sys_memfd_create(const char* name, unsigned flags);
long sys_select(int n, void* readfds, void* writefds, void* exceptfds, libos::uapi::Timeval* timeout);
long sys_pselect6(int n, void* readfds, void* writefds, void* exceptfds, libos::uapi::Timespec* timeout,
                  const void* sigmask_arg);
long sys_poll(libos::uapi::Pollfd* fds, unsigned long nfds, int timeout_ms);
long sys_ppoll(libos::uapi::Pollfd* fds, unsigned long nfds, const libos::uapi::Timespec* timeout,
               const void* sigmask, size_t sigsetsize);

// fs/sys_epoll.cpp.
long sys_epoll_create(int size);
long sys_epoll_create1(int flags);
long sys_epoll_ctl(int epfd, int op, int fd, const void* event);
long sys_epoll_wait(int epfd, void* events, int maxevents, int timeout_ms);
long sys_epoll_pwait(int epfd, void* events, int maxevents, int timeout_ms, const void* sigmask,
                     size_t sigsetsize);
long sys_epoll_pwait2(int epfd, void* events, int maxevents, const libos::uapi::Timespec* timeout,
                      const void* sigmask, size_t sigsetsize);

namespace libos {

// Copies file content for a private file mapping (mmap without MAP_ANONYMOUS):
// len bytes from offset of fd's file into dst; bytes past end of file read as
// zero. Returns 0 or -errno as mmap would: -EBADF (no such fd), -EACCES (not
// opened for reading), -ENODEV (the file cannot be mapped: console, pipe, dir).
long fs_mmap_file(int fd, void* dst, size_t len, uint64_t offset, bool shared_write);
// mm's FileSharer (mm/file_map.hpp): a /dev/shm file's own memory.
long fs_mmap_shared(int fd, size_t len, uint64_t offset, bool shared_write);

// faccessat2: faccessat with flags (AT_EACCESS, AT_SYMLINK_NOFOLLOW,
// AT_EMPTY_PATH; others -EINVAL). sys_faccessat2 (syscalls/process.cpp)
// should call this.
long fs_faccessat(int dirfd, const char* path, int mode, int flags);
// utimensat with the times already in LibOS memory (nullptr: now).
long fs_utimens(int dirfd, const char* path, const uapi::Timespec* times, int flags);

}  // namespace libos

// fs/eventfd.cpp
long sys_eventfd(unsigned initval);
long sys_eventfd2(unsigned initval, int flags);
