// epoll over pipes and eventfd: the interest list, level- and edge-triggered
// readiness, one-shot items, nesting, timeouts and signals.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <time.h>

#include "compat.h"

// Waits with timeout ms and prints each event as "events data".
static int wait_show(int ep, int maxevents, int timeout) {
  struct epoll_event ev[16];
  int n = epoll_wait(ep, ev, maxevents, timeout);
  if (n < 0) {
    printf("epoll_wait = -1 %s\n", errname(errno));
    return n;
  }
  printf("epoll_wait = %d:", n);
  for (int i = 0; i < n; i++) printf(" [%x %llu]", ev[i].events, (unsigned long long)ev[i].data.u64);
  printf("\n");
  fflush(stdout);
  return n;
}

static int add(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

CASE(epoll_create_errors)
// covers: epoll_create epoll_create1
{
  SHOW(epoll_create(0));
  SHOW(epoll_create(-1));
  SHOW(epoll_create1(1));
  int a = epoll_create(1);
  OK(a);
  int b = epoll_create1(EPOLL_CLOEXEC);
  OK(b);
  SHOW(fcntl(a, F_GETFD));
  SHOW(fcntl(b, F_GETFD));
  SHOW(fcntl(a, F_GETFL) & O_ACCMODE);
}

CASE(epoll_ctl_errors)
// covers: epoll_ctl
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  int f = open(R("/etc/hello.txt"), O_RDONLY);
  struct epoll_event ev = {.events = EPOLLIN};
  SHOW(epoll_ctl(99, EPOLL_CTL_ADD, p[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev));
  SHOW(epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
  SHOW(epoll_ctl(ep, 99, p[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  SHOW(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, p[0], BAD_PTR));
  SHOW(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], BAD_PTR));
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
  ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  int q[2];
  pipe(q);
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev));
  int inner = epoll_create1(0);
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, inner, &ev));
}

CASE(epoll_wait_errors)
// covers: epoll_wait epoll_pwait epoll_pwait2
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  struct epoll_event ev[2];
  SHOW(epoll_wait(ep, ev, 0, 0));
  SHOW(epoll_wait(ep, ev, -1, 0));
  SHOW(epoll_wait(99, ev, 2, 0));
  SHOW(epoll_wait(p[0], ev, 2, 0));
  sigset_t set;
  sigemptyset(&set);
  SHOW(syscall(SYS_epoll_pwait, ep, ev, 2, 0, &set, 4));
  SHOW(epoll_pwait(ep, ev, 2, 0, &set));
  struct timespec zero = {0, 0}, bad = {0, 1000000000};
  SHOW(epoll_pwait2(ep, ev, 2, &zero, NULL));
  SHOW(epoll_pwait2(ep, ev, 2, &bad, NULL));
  SHOW(syscall(SYS_epoll_pwait2, ep, ev, 2, BAD_PTR, NULL, 8));
}

CASE(epoll_pipe_level)
// covers: epoll_wait epoll_ctl
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  SHOW(add(ep, p[0], EPOLLIN | EPOLLRDHUP, 7));
  SHOW(add(ep, p[1], EPOLLOUT, 8));
  wait_show(ep, 8, 0);
  write(p[1], "abc", 3);
  wait_show(ep, 8, 0);
  wait_show(ep, 8, 0);  // level-triggered: still ready
  char buf[8];
  read(p[0], buf, 3);
  wait_show(ep, 8, 0);
  close(p[1]);  // the write end's item goes with its file
  wait_show(ep, 8, 0);
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
}

CASE(epoll_pipe_reader_gone)
// covers: epoll_wait
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  SHOW(add(ep, p[1], EPOLLOUT, 1));
  close(p[0]);
  wait_show(ep, 8, 0);
  struct pollfd fd = {p[1], POLLOUT, 0};
  SHOW(poll(&fd, 1, 0));
  printf("revents %x\n", fd.revents);
}

CASE(epoll_edge_triggered)
// covers: epoll_wait epoll_ctl
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  SHOW(add(ep, p[0], EPOLLIN | EPOLLET, 1));
  wait_show(ep, 8, 0);
  write(p[1], "ab", 2);
  wait_show(ep, 8, 0);
  wait_show(ep, 8, 0);  // reported once
  char c;
  read(p[0], &c, 1);  // a partial read does not re-arm the read side
  wait_show(ep, 8, 0);
  write(p[1], "c", 1);  // new data does
  wait_show(ep, 8, 0);
  wait_show(ep, 8, 0);
  close(p[1]);
  wait_show(ep, 8, 0);
}

CASE(epoll_oneshot)
// covers: epoll_wait epoll_ctl
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  SHOW(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 3));
  write(p[1], "x", 1);
  wait_show(ep, 8, 0);
  write(p[1], "y", 1);
  wait_show(ep, 8, 0);  // disabled until re-armed
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 4};
  SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
  wait_show(ep, 8, 0);
  wait_show(ep, 8, 0);
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
}

CASE(epoll_eventfd)
// covers: epoll_wait epoll_ctl eventfd2
{
  int ep = epoll_create1(0);
  int e = eventfd(0, EFD_NONBLOCK);
  SHOW(add(ep, e, EPOLLIN | EPOLLOUT, 5));
  wait_show(ep, 8, 0);
  uint64_t v = 3;
  write(e, &v, 8);
  wait_show(ep, 8, 0);
  read(e, &v, 8);
  printf("read %llu\n", (unsigned long long)v);
  wait_show(ep, 8, 0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 6};
  SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, e, &ev));
  wait_show(ep, 8, 0);
  write(e, &v, 8);
  wait_show(ep, 8, 0);
  wait_show(ep, 8, 0);
  write(e, &v, 8);  // every write is an edge
  wait_show(ep, 8, 0);
}

CASE(epoll_close_and_dup)
// covers: epoll_ctl epoll_wait dup close
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  write(p[1], "x", 1);
  SHOW(add(ep, p[0], EPOLLIN, 10));
  int d = dup(p[0]);
  close(p[0]);  // the file lives on through d: the item stays (Linux's rule)
  wait_show(ep, 8, 0);
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  SHOW(add(ep, d, EPOLLIN, 11));
  wait_show(ep, 8, 0);
  close(d);  // last reference: both items go
  wait_show(ep, 8, 0);
  int q[2];
  pipe(q);
  write(q[1], "y", 1);
  SHOW(add(ep, q[0], EPOLLIN, 12));
  wait_show(ep, 8, 0);
}

CASE(epoll_maxevents_fair)
// covers: epoll_wait
{
  int ep = epoll_create1(0);
  int p[3][2];
  for (int i = 0; i < 3; i++) {
    pipe(p[i]);
    add(ep, p[i][0], EPOLLIN, 20 + i);
  }
  for (int i = 0; i < 3; i++) write(p[i][1], "x", 1);
  wait_show(ep, 2, 0);
  wait_show(ep, 2, 0);
  wait_show(ep, 2, 0);
  wait_show(ep, 1, 0);
}

CASE(epoll_nested)
// covers: epoll_ctl epoll_wait poll
{
  int outer = epoll_create1(0);
  int inner = epoll_create1(0);
  int p[2];
  pipe(p);
  SHOW(add(inner, p[0], EPOLLIN, 1));
  SHOW(add(outer, inner, EPOLLIN, 2));
  SHOW(add(inner, outer, EPOLLIN, 3));
  wait_show(outer, 8, 0);
  struct pollfd fd = {inner, POLLIN, 0};
  SHOW(poll(&fd, 1, 0));
  write(p[1], "x", 1);
  wait_show(outer, 8, 0);
  SHOW(poll(&fd, 1, 0));
  printf("revents %x\n", fd.revents);
  wait_show(inner, 8, 0);
}

CASE(epoll_timeout)
// covers: epoll_wait epoll_pwait2
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  add(ep, p[0], EPOLLIN, 1);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  wait_show(ep, 8, 30);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("waited at least 29 ms: %d\n", ms >= 29);
  struct epoll_event ev[1];
  struct timespec ts = {0, 20000000};
  SHOW(epoll_pwait2(ep, ev, 1, &ts, NULL));
}

static volatile int g_hits;
static void handler(int sig) {
  (void)sig;
  g_hits++;
}

CASE(epoll_eintr)
// covers: epoll_wait setitimer
{
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;  // epoll_wait is never restarted
  sigaction(SIGALRM, &sa, NULL);
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  add(ep, p[0], EPOLLIN, 1);
  // Armed last and 100 ms out: an alarm that fired before the wait began
  // would leave it waiting forever on a loaded machine.
  struct itimerval it = {{0, 0}, {0, 100000}};
  setitimer(ITIMER_REAL, &it, NULL);
  wait_show(ep, 8, -1);
  printf("hits %d\n", g_hits);
}

static int g_write_fd;
static void* late_writer(void* arg) {
  (void)arg;
  struct timespec d = {0, 20000000};
  nanosleep(&d, NULL);
  write(g_write_fd, "z", 1);
  return NULL;
}

CASE(epoll_wakeup_from_thread)
// covers: epoll_wait clone
{
  int ep = epoll_create1(0);
  int p[2];
  pipe(p);
  add(ep, p[0], EPOLLIN | EPOLLET, 9);
  g_write_fd = p[1];
  pthread_t t;
  pthread_create(&t, NULL, late_writer, NULL);
  wait_show(ep, 8, -1);
  pthread_join(t, NULL);
}

CASE(epoll_many_fds)
// covers: epoll_ctl epoll_wait
{
  // Hundreds registered, a few ready: only those are reported.
  int ep = epoll_create1(0);
  int fds[200][2];
  for (int i = 0; i < 200; i++) {
    pipe(fds[i]);
    add(ep, fds[i][0], EPOLLIN, 100 + i);
  }
  write(fds[17][1], "x", 1);
  write(fds[150][1], "x", 1);
  write(fds[3][1], "x", 1);
  wait_show(ep, 16, 0);
  for (int i = 0; i < 200; i++) {
    close(fds[i][0]);
    close(fds[i][1]);
  }
  wait_show(ep, 16, 0);
}
