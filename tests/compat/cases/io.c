// libc: glibc musl
// read, write, pread64, pwrite64, readv, writev, lseek: data paths and errors.
#include <sys/uio.h>

#include "compat.h"

CASE(read_root_file)
// covers: openat read close
{
  char buf[64];
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  long n = SHOW(read(fd, buf, sizeof buf));
  print_buf("data", buf, n);
  SHOW(read(fd, buf, sizeof buf));
  SHOW(close(fd));
}

CASE(read_ebadf)
// covers: read
{
  char buf[4];
  SHOW(read(-1, buf, 4));
  SHOW(read(99, buf, 4));
}

CASE(read_efault)
// covers: read
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(syscall(SYS_read, fd, BAD_PTR, 4));
}

CASE(read_zero_count)
// covers: read
{
  char buf[4];
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(read(fd, buf, 0));
  SHOW(lseek(fd, 0, SEEK_CUR));
}

CASE(read_directory_eisdir)
// covers: read
{
  char buf[4];
  int fd = open(R("/etc"), O_RDONLY | O_DIRECTORY);
  SHOW(read(fd, buf, 4));
}

CASE(read_write_only_fd)
// covers: read
{
  char buf[4];
  int fd = open(T("/w"), O_WRONLY | O_CREAT, 0644);
  SHOW(read(fd, buf, 4));
}

CASE(write_tmp_file)
// covers: write openat lseek read
{
  char buf[64];
  int fd = open(T("/f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  SHOW(write(fd, "hello ", 6));
  SHOW(write(fd, "world\n", 6));
  SHOW(lseek(fd, 0, SEEK_SET));
  long n = SHOW(read(fd, buf, sizeof buf));
  print_buf("data", buf, n);
}

CASE(write_ebadf)
// covers: write
{
  SHOW(write(-1, "x", 1));
  SHOW(write(77, "x", 1));
}

CASE(write_read_only_fd)
// covers: write
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(write(fd, "x", 1));
}

CASE(write_efault)
// covers: write
{
  int fd = open(T("/f"), O_WRONLY | O_CREAT, 0644);
  SHOW(syscall(SYS_write, fd, BAD_PTR, 4));
}

CASE(write_stdout)
// covers: write
{
  fflush(stdout);
  SHOW(write(1, "direct to stdout\n", 17));
}

CASE(write_append)
// covers: write pwrite64 lseek
{
  char buf[64];
  write_file(T("/ap"), "one\n");
  int fd = open(T("/ap"), O_WRONLY | O_APPEND);
  SHOW(lseek(fd, 0, SEEK_SET));
  SHOW(write(fd, "two\n", 4));
  SHOW(lseek(fd, 0, SEEK_CUR));
  close(fd);
  fd = open(T("/ap"), O_RDONLY);
  long n = SHOW(read(fd, buf, sizeof buf));
  print_buf("data", buf, n);
}

CASE(write_past_end_hole)
// covers: write lseek read
{
  unsigned char buf[16];
  int fd = open(T("/hole"), O_RDWR | O_CREAT, 0644);
  SHOW(lseek(fd, 10, SEEK_SET));
  SHOW(write(fd, "X", 1));
  struct stat st;
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  SHOW(pread(fd, buf, sizeof buf, 0));
  print_buf("data", (char*)buf, 11);
}

CASE(pread_root)
// covers: pread64
{
  char buf[16];
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  long n = SHOW(pread(fd, buf, 5, 6));
  print_buf("data", buf, n);
  SHOW(lseek(fd, 0, SEEK_CUR));
  SHOW(pread(fd, buf, 5, 1000));
}

CASE(pread_errors)
// covers: pread64
{
  char buf[16];
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(pread(fd, buf, 5, -1));
  SHOW(pread(-1, buf, 5, 0));
  SHOW(syscall(SYS_pread64, fd, BAD_PTR, 5, 0));
  int p[2];
  pipe(p);
  SHOW(pread(p[0], buf, 1, 0));
}

CASE(pwrite_tmp)
// covers: pwrite64 pread64
{
  char buf[32];
  int fd = open(T("/pw"), O_RDWR | O_CREAT, 0644);
  SHOW(write(fd, "abcdefgh", 8));
  SHOW(pwrite(fd, "XY", 2, 3));
  SHOW(lseek(fd, 0, SEEK_CUR));
  long n = SHOW(pread(fd, buf, sizeof buf, 0));
  print_buf("data", buf, n);
}

CASE(pwrite_errors)
// covers: pwrite64
{
  int fd = open(T("/pw"), O_RDWR | O_CREAT, 0644);
  SHOW(pwrite(fd, "x", 1, -5));
  SHOW(pwrite(-1, "x", 1, 0));
  SHOW(syscall(SYS_pwrite64, fd, BAD_PTR, 1, 0));
  int rfd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(pwrite(rfd, "x", 1, 0));
}

CASE(readv_basic)
// covers: readv
{
  char a[6], b[10];
  struct iovec iov[2] = {{a, 6}, {b, 10}};
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  long n = SHOW(readv(fd, iov, 2));
  print_buf("a", a, 6);
  print_buf("b", b, n - 6);
}

CASE(readv_errors)
// covers: readv
{
  char a[6];
  struct iovec iov[1] = {{a, 6}};
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(readv(-1, iov, 1));
  SHOW(readv(fd, iov, -1));
  SHOW(readv(fd, iov, 5000));
  SHOW(syscall(SYS_readv, fd, BAD_PTR, 1));
  struct iovec bad[1] = {{BAD_PTR, 6}};
  SHOW(syscall(SYS_readv, fd, bad, 1));
  SHOW(readv(fd, iov, 0));
}

CASE(writev_basic)
// covers: writev
{
  char buf[32];
  struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
  int fd = open(T("/wv"), O_RDWR | O_CREAT, 0644);
  SHOW(writev(fd, iov, 3));
  long n = SHOW(pread(fd, buf, sizeof buf, 0));
  print_buf("data", buf, n);
}

CASE(writev_errors)
// covers: writev
{
  struct iovec iov[1] = {{"ab", 2}};
  int fd = open(T("/wv"), O_RDWR | O_CREAT, 0644);
  SHOW(writev(-1, iov, 1));
  SHOW(writev(fd, iov, -1));
  SHOW(syscall(SYS_writev, fd, BAD_PTR, 1));
  SHOW(writev(fd, iov, 0));
}

CASE(lseek_whence)
// covers: lseek
{
  int fd = open(R("/etc/numbers.txt"), O_RDONLY);
  SHOW(lseek(fd, 10, SEEK_SET));
  SHOW(lseek(fd, 5, SEEK_CUR));
  SHOW(lseek(fd, -2, SEEK_END));
  SHOW(lseek(fd, 1000, SEEK_SET));
  SHOW(lseek(fd, 0, SEEK_CUR));
}

CASE(lseek_errors)
// covers: lseek
{
  int fd = open(R("/etc/numbers.txt"), O_RDONLY);
  SHOW(lseek(fd, -1, SEEK_SET));
  SHOW(lseek(fd, 0, 42));
  SHOW(lseek(-1, 0, SEEK_SET));
  int p[2];
  pipe(p);
  SHOW(lseek(p[0], 0, SEEK_SET));
}

CASE(lseek_data_hole)
// covers: lseek
{
  int fd = open(R("/etc/numbers.txt"), O_RDONLY);
  SHOW(lseek(fd, 0, SEEK_DATA));
  SHOW(lseek(fd, 0, SEEK_HOLE));
  SHOW(lseek(fd, 5000, SEEK_DATA));
}

CASE(read_large_file_chunks)
// covers: read
{
  char buf[7];
  long total = 0, n, reads = 0;
  int fd = open(R("/etc/numbers.txt"), O_RDONLY);
  while ((n = read(fd, buf, sizeof buf)) > 0) total += n, reads++;
  printf("total %ld reads %ld last %ld\n", total, reads, n);
}

CASE(write_large_tmp)
// covers: write read
{
  static char big[300000], back[300000];
  for (int i = 0; i < (int)sizeof big; i++) big[i] = (char)(i * 7);
  int fd = open(T("/big"), O_RDWR | O_CREAT, 0644);
  SHOW(write(fd, big, sizeof big));
  SHOW(lseek(fd, 0, SEEK_SET));
  long got = 0, n;
  while ((n = read(fd, back + got, sizeof back - got)) > 0) got += n;
  printf("read back %ld equal %d\n", got, memcmp(big, back, sizeof big) == 0);
}
