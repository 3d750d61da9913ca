// creat, fchdir, renameat2, preadv, pwritev, preadv2, pwritev2, fadvise64,
// fallocate, sync, syncfs, flock, utime, utimes, futimesat, memfd_create.
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <utime.h>

#include "compat.h"

CASE(creat_truncates)
// covers: creat
{
  struct stat st;
  write_file(T("/c"), "old content");
  int fd = SHOW(syscall(SYS_creat, T("/c"), 0600));
  fstat(fd, &st);
  printf("size %ld wronly %d\n", (long)st.st_size, (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
  SHOW(syscall(SYS_creat, T("/nodir/c"), 0600));
  SHOW(syscall(SYS_creat, BAD_PTR, 0600));
}

CASE(fchdir_cases)
// covers: fchdir getcwd
{
  char buf[512];
  mkdir(T("/fd-dir"), 0755);
  int dfd = open(T("/fd-dir"), O_RDONLY | O_DIRECTORY);
  SHOW(fchdir(dfd));
  getcwd(buf, sizeof buf);
  printf("cwd ends in %s\n", strrchr(buf, '/'));
  int f = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(fchdir(f));
  SHOW(fchdir(-1));
  int p = open(R("/dir"), O_PATH);
  SHOW(fchdir(p));
}

CASE(renameat2_flags)
// covers: renameat2
{
  write_file(T("/a"), "a");
  write_file(T("/b"), "b");
  SHOW(renameat2(AT_FDCWD, T("/a"), AT_FDCWD, T("/b"), RENAME_NOREPLACE));
  SHOW(renameat2(AT_FDCWD, T("/missing"), AT_FDCWD, T("/b"), RENAME_NOREPLACE));
  SHOW(renameat2(AT_FDCWD, T("/a"), AT_FDCWD, T("/c"), RENAME_NOREPLACE));
  SHOW(renameat2(AT_FDCWD, T("/c"), AT_FDCWD, T("/b"), 0));
  SHOW(renameat2(AT_FDCWD, T("/b"), AT_FDCWD, T("/x"), RENAME_NOREPLACE | RENAME_EXCHANGE));
  SHOW(renameat2(AT_FDCWD, T("/b"), AT_FDCWD, T("/x"), 0x100));
  SHOW(access(T("/b"), F_OK));
}

CASE(preadv_pwritev)
// covers: preadv pwritev
{
  char a[4], b[8];
  struct iovec w[2] = {{"0123", 4}, {"456789", 6}};
  int fd = open(T("/v"), O_RDWR | O_CREAT, 0644);
  SHOW(pwritev(fd, w, 2, 3));
  SHOW(lseek(fd, 0, SEEK_CUR));
  struct iovec r[2] = {{a, 4}, {b, 8}};
  long n = SHOW(preadv(fd, r, 2, 0));
  print_buf("a", a, 4);
  print_buf("b", b, n - 4);
  SHOW(preadv(fd, r, 2, -1));
  SHOW(preadv(-1, r, 2, 0));
  int p[2];
  pipe(p);
  SHOW(preadv(p[0], r, 2, 0));
}

CASE(preadv2_pwritev2)
// covers: preadv2 pwritev2
{
  char a[8];
  struct iovec w[1] = {{"abcdef", 6}};
  int fd = open(T("/v2"), O_RDWR | O_CREAT, 0644);
  SHOW(pwritev2(fd, w, 1, -1, 0));
  SHOW(lseek(fd, 0, SEEK_CUR));
  SHOW(pwritev2(fd, w, 1, 10, 0));
  struct iovec r[1] = {{a, 8}};
  long n = SHOW(preadv2(fd, r, 1, 2, 0));
  print_buf("a", a, n);
  lseek(fd, 1, SEEK_SET);
  n = SHOW(preadv2(fd, r, 1, -1, 0));
  print_buf("a", a, n);
  SHOW(preadv2(fd, r, 1, 0, 0x1000));
}

CASE(fadvise_fallocate)
// covers: fadvise64 fallocate
{
  struct stat st;
  int fd = open(T("/fa"), O_RDWR | O_CREAT, 0644);
  printf("fadvise %s\n", errname(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)));
  printf("fadvise bad %s\n", errname(posix_fadvise(fd, 0, 0, 99)));
  printf("fadvise ebadf %s\n", errname(posix_fadvise(-1, 0, 0, 0)));
  SHOW(fallocate(fd, 0, 0, 10000));
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  SHOW(fallocate(fd, 0, 100, 10));
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  SHOW(fallocate(fd, 0, 0, 0));
  SHOW(fallocate(fd, 0, -1, 10));
  int r = open(T("/fa"), O_RDONLY);
  SHOW(fallocate(r, 0, 0, 10));
  int p[2];
  pipe(p);
  SHOW(fallocate(p[1], 0, 0, 10));
}

CASE(sync_syncfs_flock)
// covers: sync syncfs flock
{
  int fd = open(T("/fl"), O_RDWR | O_CREAT, 0644);
  sync();
  printf("sync done\n");
  SHOW(syncfs(fd));
  SHOW(syncfs(-1));
  SHOW(flock(fd, LOCK_EX));
  SHOW(flock(fd, LOCK_SH | LOCK_NB));
  SHOW(flock(fd, LOCK_UN));
  SHOW(flock(fd, 0));
  SHOW(flock(-1, LOCK_EX));
}

CASE(utime_utimes)
// covers: utime utimes futimesat
{
  struct stat st;
  write_file(T("/t"), "x");
  struct utimbuf ub = {111, 222};
  SHOW(utime(T("/t"), &ub));
  stat(T("/t"), &st);
  printf("atime %ld mtime %ld\n", (long)st.st_atime, (long)st.st_mtime);
  struct timeval tv[2] = {{333, 5}, {444, 6}};
  SHOW(syscall(SYS_utimes, T("/t"), tv));
  stat(T("/t"), &st);
  printf("atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atime, st.st_atim.tv_nsec, (long)st.st_mtime,
         st.st_mtim.tv_nsec);
  struct timeval bad[2] = {{1, 2000000}, {1, 0}};
  SHOW(syscall(SYS_utimes, T("/t"), bad));
  int dfd = open(T("/"), O_RDONLY | O_DIRECTORY);
  SHOW(syscall(SYS_futimesat, dfd, "t", tv));
  SHOW(syscall(SYS_utime, T("/missing"), &ub));
  SHOW(syscall(SYS_utimes, T("/t"), BAD_PTR));
}

CASE(memfd)
// covers: memfd_create mmap ftruncate
{
  int fd = SHOW(memfd_create("compat", MFD_CLOEXEC));
  SHOW(fcntl(fd, F_GETFD));
  SHOW(write(fd, "memfd data", 10));
  struct stat st;
  fstat(fd, &st);
  printf("reg %d size %ld\n", S_ISREG(st.st_mode), (long)st.st_size);
  SHOW(ftruncate(fd, 4096));
  char* p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  print_buf("mapped", p, 10);
  SHOW(memfd_create("x", 0x100));
  SHOW(syscall(SYS_memfd_create, BAD_PTR, 0));
}
