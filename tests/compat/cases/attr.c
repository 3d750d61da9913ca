// libc: glibc musl
// chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat, utimensat,
// sendfile.
#include <sys/sendfile.h>
#include <sys/time.h>

#include "compat.h"

static void perm_of(const char* label, const char* path) {
  struct stat st;
  if (stat(path, &st) != 0)
    printf("%s: stat -1 %s\n", label, errname(errno));
  else
    printf("%s: perm %o\n", label, st.st_mode & 07777);
}

CASE(chmod_tmp)
// covers: chmod fchmodat
{
  write_file(T("/m"), "x");
  SHOW(chmod(T("/m"), 0600));
  perm_of("after chmod", T("/m"));
  SHOW(syscall(SYS_chmod, T("/m"), 04755));
  perm_of("setuid bits", T("/m"));
  SHOW(fchmodat(AT_FDCWD, T("/m"), 0640, 0));
  perm_of("fchmodat", T("/m"));
  mkdir(T("/d"), 0755);
  SHOW(chmod(T("/d"), 0700));
  perm_of("dir", T("/d"));
}

CASE(chmod_errors)
// covers: chmod fchmodat
{
  SHOW(chmod(T("/missing"), 0600));
  SHOW(syscall(SYS_chmod, BAD_PTR, 0600));
  SHOW(syscall(SYS_fchmodat, -1, "x", 0600));
  write_file(T("/f"), "x");
  SHOW(chmod(T("/f/x"), 0600));
}

CASE(erofs_chmod_chown)
// covers: chmod fchmod chown
{
  SHOW(chmod(R("/etc/hello.txt"), 0600));
  SHOW(chown(R("/etc/hello.txt"), 0, 0));
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(fchmod(fd, 0600));
  SHOW(utimensat(AT_FDCWD, R("/etc/hello.txt"), NULL, 0));
}

CASE(fchmod_fd)
// covers: fchmod
{
  int fd = open(T("/fm"), O_RDWR | O_CREAT, 0644);
  SHOW(fchmod(fd, 0400));
  struct stat st;
  fstat(fd, &st);
  printf("perm %o\n", st.st_mode & 0777);
  SHOW(fchmod(-1, 0600));
  SHOW(fchmod(fd, 0644));
}

CASE(chown_same_owner)
// covers: chown fchown lchown fchownat
{
  write_file(T("/o"), "x");
  symlink("o", T("/ol"));
  SHOW(chown(T("/o"), getuid(), getgid()));
  SHOW(lchown(T("/ol"), getuid(), getgid()));
  SHOW(chown(T("/o"), -1, -1));
  int fd = open(T("/o"), O_RDONLY);
  SHOW(fchown(fd, -1, -1));
  SHOW(fchownat(AT_FDCWD, T("/o"), -1, -1, AT_SYMLINK_NOFOLLOW));
  SHOW(fchownat(fd, "", -1, -1, AT_EMPTY_PATH));
  SHOW(fchownat(AT_FDCWD, T("/o"), -1, -1, 0x12345));
  SHOW(chown(T("/missing"), -1, -1));
  SHOW(fchown(-1, -1, -1));
}

CASE(utimensat_times)
// covers: utimensat
{
  struct stat st;
  write_file(T("/u"), "x");
  struct timespec ts[2] = {{1000000000, 5}, {1200000000, 123456789}};
  SHOW(utimensat(AT_FDCWD, T("/u"), ts, 0));
  stat(T("/u"), &st);
  printf("atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {7, 0}};
  SHOW(utimensat(AT_FDCWD, T("/u"), omit, 0));
  stat(T("/u"), &st);
  printf("atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
  SHOW(utimensat(AT_FDCWD, T("/u"), NULL, 0));
  stat(T("/u"), &st);
  printf("now is recent %d\n", st.st_mtim.tv_sec > 1577836800);
}

CASE(utimensat_errors)
// covers: utimensat
{
  write_file(T("/u"), "x");
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  SHOW(utimensat(AT_FDCWD, T("/u"), bad, 0));
  SHOW(utimensat(AT_FDCWD, T("/missing"), NULL, 0));
  SHOW(syscall(SYS_utimensat, AT_FDCWD, T("/u"), BAD_PTR, 0));
  SHOW(utimensat(AT_FDCWD, T("/u"), NULL, 0x4000));
  SHOW(utimensat(-1, "u", NULL, 0));
}

CASE(futimens_fd)
// covers: utimensat
{
  struct stat st;
  int fd = open(T("/fu"), O_RDWR | O_CREAT, 0644);
  struct timespec ts[2] = {{100, 0}, {200, 0}};
  SHOW(futimens(fd, ts));
  fstat(fd, &st);
  printf("atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
  SHOW(futimens(-1, ts));
  struct timeval tv[2] = {{300, 0}, {400, 0}};
  SHOW(utimes(T("/fu"), tv));
  stat(T("/fu"), &st);
  printf("atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
}

CASE(sendfile_copy)
// covers: sendfile
{
  int in = open(R("/etc/numbers.txt"), O_RDONLY);
  int out = open(T("/copy"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  SHOW(sendfile(out, in, NULL, 100000));
  SHOW(lseek(in, 0, SEEK_CUR));
  struct stat st;
  fstat(out, &st);
  printf("copied size %ld\n", (long)st.st_size);
  off_t off = 10;
  SHOW(sendfile(out, in, &off, 5));
  printf("offset now %ld in-pos %ld\n", (long)off, (long)lseek(in, 0, SEEK_CUR));
  SHOW(sendfile(out, in, NULL, 10));
}

CASE(sendfile_pipe_and_errors)
// covers: sendfile
{
  int p[2];
  char buf[32];
  pipe(p);
  int in = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(sendfile(p[1], in, NULL, 5));
  long n = read(p[0], buf, sizeof buf);
  print_buf("pipe", buf, n);
  SHOW(sendfile(-1, in, NULL, 5));
  SHOW(sendfile(p[1], -1, NULL, 5));
  SHOW(sendfile(in, in, NULL, 5));
  off_t neg = -1;
  SHOW(sendfile(p[1], in, &neg, 5));
  SHOW(syscall(SYS_sendfile, p[1], in, BAD_PTR, 5));
}
