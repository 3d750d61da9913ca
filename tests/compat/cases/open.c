// libc: glibc musl
// open, openat, close: flags and errors.
#include "compat.h"

CASE(open_enoent)
// covers: open openat
{
  SHOW(open(R("/etc/no-such-file"), O_RDONLY));
  SHOW(open(R("/no-dir/file"), O_RDONLY));
  SHOW(syscall(SYS_open, R("/etc/no-such-file"), O_RDONLY, 0));
}

CASE(open_enotdir)
// covers: open
{
  SHOW(open(R("/etc/hello.txt/x"), O_RDONLY));
  SHOW(open(R("/etc/hello.txt"), O_RDONLY | O_DIRECTORY));
}

CASE(open_efault)
// covers: open openat
{
  SHOW(syscall(SYS_open, BAD_PTR, O_RDONLY, 0));
  SHOW(syscall(SYS_openat, AT_FDCWD, BAD_PTR, O_RDONLY, 0));
}

CASE(open_empty_path)
// covers: openat
{
  SHOW(open("", O_RDONLY));
}

CASE(open_creat_excl)
// covers: openat
{
  OK(open(T("/x"), O_WRONLY | O_CREAT | O_EXCL, 0644));
  SHOW(open(T("/x"), O_WRONLY | O_CREAT | O_EXCL, 0644));
  OK(open(T("/x"), O_WRONLY | O_CREAT, 0644));
}

CASE(open_creat_in_missing_dir)
// covers: openat
{
  SHOW(open(T("/nodir/x"), O_WRONLY | O_CREAT, 0644));
}

CASE(open_trunc)
// covers: openat fstat
{
  struct stat st;
  write_file(T("/t"), "some content\n");
  int fd = open(T("/t"), O_WRONLY | O_TRUNC);
  fstat(fd, &st);
  printf("size after O_TRUNC %ld\n", (long)st.st_size);
}

CASE(open_dir_for_write_eisdir)
// covers: openat
{
  SHOW(open(T("/"), O_WRONLY));
  SHOW(open(T("/"), O_RDWR));
  OK(open(T("/"), O_RDONLY));
}

CASE(open_directory_flag)
// covers: openat
{
  OK(open(R("/etc"), O_RDONLY | O_DIRECTORY));
  OK(open(R("/etc/"), O_RDONLY));
}

CASE(open_returns_lowest_fd)
// covers: openat close
{
  int a = open(R("/etc/hello.txt"), O_RDONLY);
  int b = open(R("/etc/hello.txt"), O_RDONLY);
  int c = open(R("/etc/hello.txt"), O_RDONLY);
  printf("fds %d %d %d\n", a, b, c);
  close(b);
  SHOW(open(R("/etc/hello.txt"), O_RDONLY));
}

CASE(open_symlink_follow)
// covers: openat read
{
  char buf[64];
  int fd = open(R("/etc/hello-link"), O_RDONLY);
  long n = SHOW(read(fd, buf, sizeof buf));
  print_buf("data", buf, n);
  SHOW(open(R("/etc/dangling"), O_RDONLY));
}

CASE(open_nofollow)
// covers: openat
{
  SHOW(open(R("/etc/hello-link"), O_RDONLY | O_NOFOLLOW));
  OK(open(R("/etc/hello.txt"), O_RDONLY | O_NOFOLLOW));
}

CASE(open_dotdot)
// covers: openat read
{
  char buf[64];
  int fd = open(R("/dir/sub/../../etc/./hello.txt"), O_RDONLY);
  long n = SHOW(read(fd, buf, sizeof buf));
  print_buf("data", buf, n);
}

CASE(openat_dirfd)
// covers: openat
{
  char buf[64];
  int dfd = open(R("/dir"), O_RDONLY | O_DIRECTORY);
  int fd = openat(dfd, "sub/c", O_RDONLY);
  long n = SHOW(read(fd, buf, sizeof buf));
  print_buf("data", buf, n);
  SHOW(openat(dfd, "missing", O_RDONLY));
}

CASE(openat_bad_dirfd)
// covers: openat
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(openat(fd, "x", O_RDONLY));
  SHOW(openat(-5, "x", O_RDONLY));
  SHOW(openat(99, "x", O_RDONLY));
  OK(openat(99, R("/etc/hello.txt"), O_RDONLY));
}

CASE(open_o_path)
// covers: openat read fstat
{
  char buf[4];
  int fd = open(R("/etc/hello.txt"), O_PATH);
  SHOW(read(fd, buf, 4));
  struct stat st;
  SHOW(fstat(fd, &st));
  printf("size %ld\n", (long)st.st_size);
}

CASE(close_errors)
// covers: close
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(close(fd));
  SHOW(close(fd));
  SHOW(close(-1));
  SHOW(close(1000000));
}

CASE(close_range_basic)
// covers: close_range
{
  for (int i = 0; i < 5; i++) open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(syscall(SYS_close_range, 4, 6, 0));
  for (int fd = 3; fd < 9; fd++) printf("fd %d open %d\n", fd, fcntl(fd, F_GETFD) != -1);
  SHOW(syscall(SYS_close_range, 6, 4, 0));
  SHOW(syscall(SYS_close_range, 3, ~0U, 0));
  printf("fd 7 open %d\n", fcntl(7, F_GETFD) != -1);
}

CASE(close_range_cloexec)
// covers: close_range fcntl
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(syscall(SYS_close_range, fd, fd, 4 /* CLOSE_RANGE_CLOEXEC */));
  SHOW(fcntl(fd, F_GETFD));
}

CASE(open_cloexec_flag)
// covers: openat fcntl
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY | O_CLOEXEC);
  SHOW(fcntl(fd, F_GETFD));
  int fd2 = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(fcntl(fd2, F_GETFD));
}

CASE(open_getfl_flags)
// covers: openat fcntl
{
  int fd = open(T("/g"), O_RDWR | O_CREAT | O_APPEND | O_NONBLOCK, 0644);
  SHOW(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
}

CASE(open_tmpfile)
// covers: openat write
{
  int fd = open(T("/"), O_TMPFILE | O_RDWR, 0600);
  if (fd < 0) {
    printf("O_TMPFILE = -1 %s\n", errname(errno));
    return;
  }
  SHOW(write(fd, "abc", 3));
  struct stat st;
  fstat(fd, &st);
  printf("size %ld nlink %ld\n", (long)st.st_size, (long)st.st_nlink);
}

CASE(open_name_too_long)
// covers: openat
{
  char name[400];
  memset(name, 'a', sizeof name - 1);
  name[sizeof name - 1] = 0;
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", g_tmp, name);
  SHOW(open(path, O_RDONLY));
  SHOW(open(path, O_WRONLY | O_CREAT, 0644));
}

CASE(erofs_open_creat)
// covers: openat
{
  SHOW(open(R("/etc/new-file"), O_WRONLY | O_CREAT, 0644));
  SHOW(open(R("/etc/hello.txt"), O_WRONLY));
  SHOW(open(R("/etc/hello.txt"), O_RDWR));
  SHOW(open(R("/etc/hello.txt"), O_RDONLY | O_TRUNC));
}
