// libc: glibc musl
// pipe, pipe2, poll, ppoll, eventfd/eventfd2.
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>

#include "compat.h"

CASE(pipe_roundtrip)
// covers: pipe read write
{
  int p[2];
  char buf[16];
  SHOW(pipe(p));
  printf("fds %d %d\n", p[0], p[1]);
  SHOW(write(p[1], "through", 7));
  long n = SHOW(read(p[0], buf, sizeof buf));
  print_buf("data", buf, n);
}

CASE(pipe_eof)
// covers: pipe read close
{
  int p[2];
  char buf[4];
  pipe(p);
  write(p[1], "ab", 2);
  close(p[1]);
  SHOW(read(p[0], buf, 4));
  SHOW(read(p[0], buf, 4));
}

CASE(pipe_epipe)
// covers: pipe write rt_sigaction
{
  int p[2];
  signal(SIGPIPE, SIG_IGN);
  pipe(p);
  close(p[0]);
  SHOW(write(p[1], "x", 1));
}

CASE(pipe_sigpipe_default_kills)
// covers: write pipe
{
  int p[2];
  pipe(p);
  close(p[0]);
  printf("writing to a pipe without readers\n");
  fflush(stdout);
  write(p[1], "x", 1);
  printf("not reached\n");
}

static volatile int g_sigpipes;
static void on_sigpipe(int sig) { g_sigpipes += sig == SIGPIPE; }

CASE(pipe_sigpipe_handler)
// covers: write pipe rt_sigaction
{
  int p[2];
  signal(SIGPIPE, on_sigpipe);
  pipe(p);
  close(p[0]);
  SHOW(write(p[1], "x", 1));
  printf("handler ran %d\n", g_sigpipes);
}

CASE(pipe_wrong_end)
// covers: pipe read write
{
  int p[2];
  char c;
  pipe(p);
  SHOW(write(p[0], "x", 1));
  SHOW(read(p[1], &c, 1));
}

CASE(pipe_efault)
// covers: pipe pipe2
{
  SHOW(syscall(SYS_pipe, BAD_PTR));
  SHOW(syscall(SYS_pipe2, BAD_PTR, 0));
}

CASE(pipe2_nonblock_eagain)
// covers: pipe2 read
{
  int p[2];
  char c;
  SHOW(pipe2(p, O_NONBLOCK));
  SHOW(read(p[0], &c, 1));
  SHOW(fcntl(p[0], F_GETFL) & O_NONBLOCK);
  SHOW(fcntl(p[1], F_GETFL) & O_NONBLOCK);
}

CASE(pipe2_cloexec)
// covers: pipe2 fcntl
{
  int p[2];
  SHOW(pipe2(p, O_CLOEXEC));
  SHOW(fcntl(p[0], F_GETFD));
  SHOW(fcntl(p[1], F_GETFD));
  SHOW(pipe2(p, 0x4));
}

CASE(pipe_nonblock_full)
// covers: pipe2 write
{
  int p[2];
  static char chunk[4096];
  pipe2(p, O_NONBLOCK);
  long total = 0, n;
  while ((n = write(p[1], chunk, sizeof chunk)) > 0) total += n;
  printf("filled %ld then errno %s\n", total, errname(errno));
  char buf[4096];
  SHOW(read(p[0], buf, sizeof buf));
  SHOW(write(p[1], "y", 1));
}

CASE(pipe_setfl_nonblock)
// covers: pipe fcntl read
{
  int p[2];
  char c;
  pipe(p);
  SHOW(fcntl(p[0], F_SETFL, O_NONBLOCK));
  SHOW(read(p[0], &c, 1));
}

CASE(poll_pipe)
// covers: poll
{
  int p[2];
  pipe(p);
  struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
  SHOW(poll(fds, 2, 0));
  printf("revents %x %x\n", fds[0].revents, fds[1].revents);
  write(p[1], "x", 1);
  SHOW(poll(fds, 2, 0));
  printf("revents %x %x\n", fds[0].revents, fds[1].revents);
  close(p[1]);
  fds[1].fd = -1;
  SHOW(poll(fds, 2, 0));
  printf("revents %x %x\n", fds[0].revents, fds[1].revents);
}

CASE(poll_hup_and_nval)
// covers: poll
{
  int p[2];
  pipe(p);
  close(p[1]);
  struct pollfd fds[2] = {{p[0], POLLIN, 0}, {77, POLLIN, 0}};
  SHOW(poll(fds, 2, 0));
  printf("revents %x %x\n", fds[0].revents, fds[1].revents);
}

CASE(poll_timeout)
// covers: poll
{
  int p[2];
  pipe(p);
  struct pollfd fds[1] = {{p[0], POLLIN, 0}};
  SHOW(poll(fds, 1, 20));
  SHOW(poll(NULL, 0, 5));
}

CASE(poll_errors)
// covers: poll
{
  SHOW(syscall(SYS_poll, BAD_PTR, 1, 0));
  SHOW(syscall(SYS_poll, NULL, 1UL << 30, 0));
}

CASE(poll_regular_file)
// covers: poll
{
  struct pollfd fds[1] = {{open(R("/etc/hello.txt"), O_RDONLY), POLLIN | POLLOUT, 0}};
  SHOW(poll(fds, 1, 0));
  printf("revents %x\n", fds[0].revents);
}

CASE(ppoll_basic)
// covers: ppoll
{
  int p[2];
  pipe(p);
  struct pollfd fds[1] = {{p[0], POLLIN, 0}};
  struct timespec ts = {0, 1000000};
  SHOW(ppoll(fds, 1, &ts, NULL));
  write(p[1], "x", 1);
  SHOW(ppoll(fds, 1, NULL, NULL));
  printf("revents %x\n", fds[0].revents);
  struct timespec bad = {0, 2000000000L};
  SHOW(ppoll(fds, 1, &bad, NULL));
  SHOW(syscall(SYS_ppoll, fds, 1, BAD_PTR, NULL, 8));
}

CASE(eventfd_counter)
// covers: eventfd2 read write
{
  int fd = SHOW(eventfd(3, 0));
  uint64_t v = 0;
  SHOW(read(fd, &v, 8));
  printf("value %llu\n", (unsigned long long)v);
  v = 5;
  SHOW(write(fd, &v, 8));
  v = 7;
  SHOW(write(fd, &v, 8));
  SHOW(read(fd, &v, 8));
  printf("value %llu\n", (unsigned long long)v);
}

CASE(eventfd_nonblock)
// covers: eventfd2 read
{
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  uint64_t v;
  SHOW(read(fd, &v, 8));
  SHOW(fcntl(fd, F_GETFD));
  SHOW(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

CASE(eventfd_semaphore)
// covers: eventfd2 read
{
  int fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  uint64_t v;
  SHOW(read(fd, &v, 8));
  printf("value %llu\n", (unsigned long long)v);
  SHOW(read(fd, &v, 8));
  SHOW(read(fd, &v, 8));
}

CASE(eventfd_errors)
// covers: eventfd2 eventfd read write
{
  int fd = eventfd(0, EFD_NONBLOCK);
  uint64_t v = 1;
  char small[4];
  SHOW(read(fd, small, 4));
  SHOW(write(fd, small, 4));
  v = ~0ULL;
  SHOW(write(fd, &v, 8));
  SHOW(eventfd(0, 0x1234));
  SHOW(syscall(SYS_eventfd, 1));
}

CASE(eventfd_poll)
// covers: eventfd2 poll
{
  int fd = eventfd(0, 0);
  struct pollfd fds[1] = {{fd, POLLIN | POLLOUT, 0}};
  SHOW(poll(fds, 1, 0));
  printf("revents %x\n", fds[0].revents);
  uint64_t v = 1;
  write(fd, &v, 8);
  SHOW(poll(fds, 1, 0));
  printf("revents %x\n", fds[0].revents);
}

CASE(pipe_reopen_proc_fd)
// covers: open readlink pipe2
{
  // /dev/fd/N and /proc/self/fd/N of a pipe open the pipe (cat /dev/stdin,
  // bash's process substitution); readlink names it pipe:[ino].
  int p[2];
  OK(pipe(p));
  char path[64], link[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
  ssize_t n = readlink(path, link, sizeof(link) - 1);
  link[n > 0 ? n : 0] = '\0';
  printf("readlink starts pipe:[ %d ends ] %d\n", strncmp(link, "pipe:[", 6) == 0, n > 0 && link[n - 1] == ']');
  snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
  int w = open(path, O_WRONLY);
  printf("open write end %d\n", w >= 0);
  SHOW(write(w, "through the link", 16));
  snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
  int r = open(path, O_RDONLY);
  printf("open read end %d\n", r >= 0);
  char buf[32] = {0};
  SHOW(read(r, buf, sizeof(buf) - 1));
  printf("got '%s'\n", buf);
  struct stat st;
  OK(stat(path, &st));
  printf("stat is fifo %d\n", S_ISFIFO(st.st_mode));
  close(w);
  close(p[1]);
  SHOW(read(r, buf, sizeof(buf)));  // every writer closed: end of file
  close(r);
  close(p[0]);
  int e = eventfd(0, 0);
  snprintf(path, sizeof(path), "/proc/self/fd/%d", e);
  SHOW(open(path, O_RDONLY));  // an anonymous inode: ENXIO
}
