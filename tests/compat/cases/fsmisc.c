// libc: glibc musl
// access, faccessat, faccessat2, readlink, readlinkat, truncate, ftruncate,
// fsync, fdatasync, umask, mmap of files.
#include <sys/mman.h>

#include "compat.h"

CASE(access_modes)
// covers: access
{
  SHOW(access(R("/etc/hello.txt"), F_OK));
  SHOW(access(R("/etc/hello.txt"), R_OK));
  SHOW(access(R("/etc/missing"), F_OK));
  SHOW(access(R("/etc/hello.txt/x"), F_OK));
  SHOW(access(T("/"), W_OK | X_OK));
  SHOW(access(R("/etc/hello.txt"), 0x100));
  SHOW(syscall(SYS_access, BAD_PTR, F_OK));
}

CASE(erofs_access_write)
// covers: access faccessat
{
  SHOW(access(R("/etc/hello.txt"), W_OK));
  SHOW(access(R("/etc"), W_OK));
}

CASE(faccessat_dirfd)
// covers: faccessat faccessat2
{
  int dfd = open(R("/etc"), O_RDONLY | O_DIRECTORY);
  SHOW(faccessat(dfd, "hello.txt", R_OK, 0));
  SHOW(faccessat(dfd, "missing", R_OK, 0));
  SHOW(syscall(SYS_faccessat, dfd, "numbers.txt", F_OK));
  SHOW(syscall(SYS_faccessat2, dfd, "hello-link", F_OK, AT_SYMLINK_NOFOLLOW));
  SHOW(syscall(SYS_faccessat2, dfd, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
  SHOW(syscall(SYS_faccessat2, dfd, "dangling", F_OK, 0));
  SHOW(syscall(SYS_faccessat2, dfd, "hello.txt", F_OK, 0x4000000));
  SHOW(syscall(SYS_faccessat, -1, "x", F_OK));
}

CASE(readlink_symlink)
// covers: readlink
{
  char buf[64];
  long n = SHOW(readlink(R("/etc/hello-link"), buf, sizeof buf));
  print_buf("target", buf, n);
  n = SHOW(readlink(R("/etc/hello-link"), buf, 3));
  print_buf("short", buf, n);
  SHOW(readlink(R("/etc/hello.txt"), buf, sizeof buf));
  SHOW(readlink(R("/etc/missing"), buf, sizeof buf));
  SHOW(syscall(SYS_readlink, R("/etc/hello-link"), BAD_PTR, 64));
  SHOW(syscall(SYS_readlink, R("/etc/hello-link"), buf, 0));
}

CASE(readlinkat_dirfd)
// covers: readlinkat
{
  char buf[64];
  int dfd = open(R("/etc"), O_RDONLY | O_DIRECTORY);
  long n = SHOW(readlinkat(dfd, "dangling", buf, sizeof buf));
  print_buf("target", buf, n);
  SHOW(readlinkat(-1, "dangling", buf, sizeof buf));
}

CASE(readlink_proc_self_exe)
// covers: readlink
{
  char buf[4096];
  long n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) {
    printf("readlink = -1 %s\n", errname(errno));
    return;
  }
  buf[n] = 0;
  const char* base = strrchr(buf, '/');
  printf("absolute %d basename %s\n", buf[0] == '/', base ? base + 1 : buf);
}

CASE(ftruncate_grow_shrink)
// covers: ftruncate fstat
{
  struct stat st;
  char buf[16];
  int fd = open(T("/tr"), O_RDWR | O_CREAT, 0644);
  write(fd, "abcdefgh", 8);
  SHOW(ftruncate(fd, 3));
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  SHOW(ftruncate(fd, 6));
  long n = SHOW(pread(fd, buf, sizeof buf, 0));
  print_buf("data", buf, n);
  SHOW(lseek(fd, 0, SEEK_CUR));
}

CASE(ftruncate_errors)
// covers: ftruncate
{
  int fd = open(T("/tr"), O_RDWR | O_CREAT, 0644);
  SHOW(ftruncate(fd, -1));
  SHOW(ftruncate(-1, 0));
  int rfd = open(T("/tr"), O_RDONLY);
  SHOW(ftruncate(rfd, 0));
  int p[2];
  pipe(p);
  SHOW(ftruncate(p[1], 0));
  int dfd = open(T("/"), O_RDONLY);
  SHOW(ftruncate(dfd, 0));
}

CASE(truncate_path)
// covers: truncate stat
{
  struct stat st;
  write_file(T("/tp"), "0123456789");
  SHOW(truncate(T("/tp"), 4));
  stat(T("/tp"), &st);
  printf("size %ld\n", (long)st.st_size);
  SHOW(truncate(T("/missing"), 0));
  SHOW(truncate(T("/"), 0));
  SHOW(truncate(T("/tp"), -3));
  SHOW(syscall(SYS_truncate, BAD_PTR, 0));
}

CASE(erofs_truncate)
// covers: truncate
{
  SHOW(truncate(R("/etc/hello.txt"), 0));
}

CASE(fsync_fdatasync)
// covers: fsync fdatasync
{
  int fd = open(T("/s"), O_RDWR | O_CREAT, 0644);
  write(fd, "x", 1);
  SHOW(fsync(fd));
  SHOW(fdatasync(fd));
  SHOW(fsync(-1));
  SHOW(fdatasync(99));
  int r = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(fsync(r));
}

CASE(fsync_pipe)
// covers: fsync
{
  int p[2];
  pipe(p);
  SHOW(fsync(p[0]));
}

CASE(umask_values)
// covers: umask openat
{
  struct stat st;
  SHOW(umask(027));
  SHOW(umask(0777 | 01000));
  SHOW(umask(022));
  umask(077);
  int fd = open(T("/um"), O_WRONLY | O_CREAT, 0666);
  fstat(fd, &st);
  printf("perm %o\n", st.st_mode & 0777);
}

CASE(mmap_file_private)
// covers: mmap munmap
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  printf("mapped %d\n", p != MAP_FAILED);
  print_buf("content", p, 27);
  printf("past eof zero %d\n", p[100] == 0);
  p[0] = 'J';
  char buf[4];
  pread(fd, buf, 1, 0);
  print_buf("file unchanged", buf, 1);
  SHOW(munmap(p, 4096));
}

CASE(mmap_file_offset)
// covers: mmap
{
  int fd = open(T("/big"), O_RDWR | O_CREAT, 0644);
  static char page[8192];
  memset(page, 'a', 4096);
  memset(page + 4096, 'b', 4096);
  write(fd, page, sizeof page);
  char* p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
  printf("mapped %d first %c\n", p != MAP_FAILED, p[0]);
  SHOW(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED);
  printf("errno %s\n", errname(errno));
}

CASE(mmap_file_errors)
// covers: mmap
{
  int p[2];
  pipe(p);
  errno = 0;
  void* m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0);
  printf("bad fd failed %d %s\n", m == MAP_FAILED, errname(errno));
  m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, p[0], 0);
  printf("pipe failed %d %s\n", m == MAP_FAILED, errname(errno));
  int w = open(T("/wo"), O_WRONLY | O_CREAT, 0644);
  m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, w, 0);
  printf("write-only failed %d %s\n", m == MAP_FAILED, errname(errno));
}
