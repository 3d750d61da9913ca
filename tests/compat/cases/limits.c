// libc: glibc musl
// RLIMIT_NOFILE raised to what a server asks for (Redis: 10032) and honoured
// by the descriptor table (issue 11, point 9).
#include <poll.h>
#include <sys/resource.h>

#include "compat.h"

CASE(nofile_raise)
// covers: getrlimit setrlimit prlimit64 dup2 fcntl
{
  struct rlimit rl;
  SHOW(getrlimit(RLIMIT_NOFILE, &rl));
  printf("hard >= 10032 %d\n", rl.rlim_max >= 10032);
  struct rlimit want = {10032, 10032};
  SHOW(setrlimit(RLIMIT_NOFILE, &want));
  SHOW(getrlimit(RLIMIT_NOFILE, &rl));
  printf("cur %ld max %ld\n", (long)rl.rlim_cur, (long)rl.rlim_max);
  SHOW(prlimit(0, RLIMIT_NOFILE, NULL, &rl));
  printf("prlimit cur %ld max %ld\n", (long)rl.rlim_cur, (long)rl.rlim_max);
  struct rlimit above = {10032, 10033};
  SHOW(prlimit(0, RLIMIT_NOFILE, &above, NULL) == 0 || errno == EPERM);
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(dup2(fd, 10000));
  SHOW(fcntl(fd, F_DUPFD, 10020));
  SHOW(dup2(fd, 10032));
  SHOW(fcntl(fd, F_DUPFD, 10032));
  char buf[8];
  SHOW(pread(10000, buf, 5, 0));
  print_buf("via fd 10000", buf, 5);
  SHOW(close(10000));
  SHOW(close(10000));
  SHOW(close(10020));
}

CASE(nofile_fill)
// covers: setrlimit openat close_range poll
{
  struct rlimit want = {10032, 10032};
  SHOW(setrlimit(RLIMIT_NOFILE, &want));
  int n = 0, last = -1;
  for (;;) {
    int fd = open(R("/etc/hello.txt"), O_RDONLY);
    if (fd < 0) {
      printf("opened %d, last fd %d, then %s\n", n, last, errname(errno));
      break;
    }
    n++;
    last = fd;
  }
  static struct pollfd fds[3000];
  for (int i = 0; i < 3000; i++) fds[i].fd = i == 2999 ? 9000 : -1, fds[i].events = POLLIN;
  SHOW(poll(fds, 3000, 0));
  printf("revents %d\n", fds[2999].revents);
  SHOW(syscall(SYS_close_range, 3, ~0U, 0));
  SHOW(open(R("/etc/hello.txt"), O_RDONLY));
  // Lowering the limit below open descriptors is allowed; new ones obey it.
  SHOW(dup2(3, 5000));
  struct rlimit low = {64, 10032};
  SHOW(setrlimit(RLIMIT_NOFILE, &low));
  SHOW(fcntl(3, F_DUPFD, 100));
  SHOW(dup2(3, 64));
  SHOW(close(5000));
}
