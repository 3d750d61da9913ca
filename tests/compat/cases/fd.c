// dup, dup2, dup3, fcntl, ioctl.
#include <sys/ioctl.h>
#include <termios.h>

#include "compat.h"

CASE(dup_basic)
// covers: dup lseek
{
  int fd = open(R("/etc/numbers.txt"), O_RDONLY);
  int d = SHOW(dup(fd));
  lseek(fd, 10, SEEK_SET);
  SHOW(lseek(d, 0, SEEK_CUR));
  SHOW(fcntl(d, F_GETFD));
}

CASE(dup_errors)
// covers: dup
{
  SHOW(dup(-1));
  SHOW(dup(123));
}

CASE(dup2_basic)
// covers: dup2 read
{
  char buf[8];
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(dup2(fd, 10));
  long n = SHOW(read(10, buf, 5));
  print_buf("data", buf, n);
  SHOW(dup2(fd, fd));
  int other = open(R("/etc/numbers.txt"), O_RDONLY);
  SHOW(dup2(other, 10));
  n = SHOW(read(10, buf, 3));
  print_buf("data", buf, n);
}

CASE(dup2_errors)
// covers: dup2
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(dup2(-1, 5));
  SHOW(dup2(fd, -1));
  SHOW(dup2(50, 50));
  SHOW(dup2(fd, 1 << 24));
}

CASE(dup3_cases)
// covers: dup3 fcntl
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(dup3(fd, 12, O_CLOEXEC));
  SHOW(fcntl(12, F_GETFD));
  SHOW(dup3(fd, 13, 0));
  SHOW(fcntl(13, F_GETFD));
  SHOW(dup3(fd, fd, 0));
  SHOW(dup3(fd, 14, 0x1234));
  SHOW(dup3(-1, 14, 0));
}

CASE(fcntl_dupfd)
// covers: fcntl
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(fcntl(fd, F_DUPFD, 20));
  SHOW(fcntl(fd, F_DUPFD, 20));
  SHOW(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  SHOW(fcntl(fd + 1, F_GETFD));
  SHOW(fcntl(fd, F_DUPFD, -1));
  SHOW(fcntl(fd, F_DUPFD, 1 << 24));
}

CASE(fcntl_fd_flags)
// covers: fcntl
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(fcntl(fd, F_GETFD));
  SHOW(fcntl(fd, F_SETFD, FD_CLOEXEC));
  SHOW(fcntl(fd, F_GETFD));
  SHOW(fcntl(fd, F_SETFD, 0));
  SHOW(fcntl(fd, F_GETFD));
}

CASE(fcntl_file_flags)
// covers: fcntl
{
  int fd = open(T("/f"), O_WRONLY | O_CREAT, 0644);
  SHOW(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  SHOW(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
  SHOW(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  SHOW(fcntl(fd, F_SETFL, O_RDONLY));
  SHOW(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
}

CASE(fcntl_setfl_shared_by_dup)
// covers: fcntl dup
{
  int fd = open(T("/f"), O_WRONLY | O_CREAT, 0644);
  int d = dup(fd);
  fcntl(fd, F_SETFL, O_APPEND);
  SHOW(fcntl(d, F_GETFL) & O_APPEND);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  SHOW(fcntl(d, F_GETFD));
}

CASE(fcntl_errors)
// covers: fcntl
{
  SHOW(fcntl(-1, F_GETFD));
  SHOW(fcntl(77, F_GETFL));
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(fcntl(fd, 9999));
}

CASE(fcntl_record_locks)
// covers: fcntl
{
  int fd = open(T("/lock"), O_RDWR | O_CREAT, 0644);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  SHOW(fcntl(fd, F_SETLK, &fl));
  SHOW(fcntl(fd, F_SETLKW, &fl));
  fl.l_type = F_WRLCK;
  SHOW(fcntl(fd, F_GETLK, &fl));
  printf("l_type unlocked %d\n", fl.l_type == F_UNLCK);
  fl.l_type = F_UNLCK;
  SHOW(fcntl(fd, F_SETLK, &fl));
}

CASE(fcntl_lock_bad_pointer)
// covers: fcntl
{
  int fd = open(T("/lock"), O_RDWR | O_CREAT, 0644);
  SHOW(syscall(SYS_fcntl, fd, F_SETLK, BAD_PTR));
  SHOW(syscall(SYS_fcntl, fd, F_GETLK, BAD_PTR));
}

CASE(ioctl_file_enotty)
// covers: ioctl
{
  struct winsize ws;
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(ioctl(fd, TIOCGWINSZ, &ws));
  SHOW(ioctl(-1, TIOCGWINSZ, &ws));
  int p[2];
  pipe(p);
  SHOW(ioctl(p[0], TCGETS, &ws));
}

CASE(ioctl_fionread_pipe)
// covers: ioctl pipe
{
  int p[2], n = -1;
  pipe(p);
  write(p[1], "hello", 5);
  SHOW(ioctl(p[0], FIONREAD, &n));
  printf("available %d\n", n);
}

CASE(ioctl_fionbio)
// covers: ioctl fcntl
{
  int p[2], on = 1;
  pipe(p);
  SHOW(ioctl(p[0], FIONBIO, &on));
  SHOW(fcntl(p[0], F_GETFL) & O_NONBLOCK);
  char c;
  SHOW(read(p[0], &c, 1));
}

CASE(dev_null_zero)
// covers: openat read write
{
  char buf[8] = "xxxxxxx";
  int z = open("/dev/zero", O_RDONLY);
  SHOW(read(z, buf, 4));
  print_buf("zero", buf, 7);
  int n = open("/dev/null", O_RDWR);
  SHOW(write(n, "gone", 4));
  SHOW(read(n, buf, 4));
}

CASE(dev_urandom)
// covers: openat read
{
  unsigned char buf[64];
  int fd = open("/dev/urandom", O_RDONLY);
  SHOW(read(fd, buf, sizeof buf));
  int nonzero = 0;
  for (int i = 0; i < 64; i++) nonzero += buf[i] != 0;
  printf("mostly nonzero %d\n", nonzero > 40);
}
