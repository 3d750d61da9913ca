// select, pselect6.
#include <signal.h>
#include <sys/select.h>
#include <sys/time.h>

#include "compat.h"

static void show_set(const char* label, fd_set* s, int n) {
  printf("%s:", label);
  for (int fd = 0; fd < n; fd++)
    if (FD_ISSET(fd, s)) printf(" %d", fd);
  printf("\n");
}

CASE(select_pipe_ready)
// covers: select
{
  int p[2];
  pipe(p);
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(p[0], &r);
  FD_SET(p[1], &w);
  struct timeval tv = {0, 0};
  SHOW(select(p[1] + 1, &r, &w, NULL, &tv));
  show_set("read", &r, 8);
  show_set("write", &w, 8);
  write(p[1], "x", 1);
  FD_SET(p[0], &r);
  SHOW(select(p[0] + 1, &r, NULL, NULL, NULL));
  show_set("read", &r, 8);
}

CASE(select_timeout_updates_tv)
// covers: select
{
  int p[2];
  pipe(p);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  struct timeval tv = {0, 20000};
  SHOW(select(p[0] + 1, &r, NULL, NULL, &tv));
  show_set("read", &r, 8);
  printf("tv now %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
  struct timeval sleep = {0, 5000};
  SHOW(select(0, NULL, NULL, NULL, &sleep));
}

CASE(select_errors)
// covers: select
{
  fd_set r;
  FD_ZERO(&r);
  FD_SET(40, &r);
  struct timeval tv = {0, 0};
  SHOW(select(41, &r, NULL, NULL, &tv));
  SHOW(select(-1, NULL, NULL, NULL, &tv));
  struct timeval bad = {0, 2000000};
  SHOW(select(1, NULL, NULL, NULL, &bad));
  SHOW(syscall(SYS_select, 1, BAD_PTR, NULL, NULL, &tv));
  SHOW(syscall(SYS_select, 1, NULL, NULL, NULL, BAD_PTR));
}

CASE(select_hup_and_file)
// covers: select
{
  int p[2];
  pipe(p);
  close(p[1]);
  int f = open(R("/etc/hello.txt"), O_RDONLY);
  fd_set r, e;
  FD_ZERO(&r);
  FD_ZERO(&e);
  FD_SET(p[0], &r);
  FD_SET(f, &r);
  FD_SET(f, &e);
  struct timeval tv = {0, 0};
  SHOW(select(f + 1, &r, NULL, &e, &tv));
  show_set("read", &r, 8);
  show_set("except", &e, 8);
}

CASE(pselect_basic)
// covers: pselect6
{
  int p[2];
  pipe(p);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  struct timespec ts = {0, 10000000};
  sigset_t mask;
  sigemptyset(&mask);
  SHOW(pselect(p[0] + 1, &r, NULL, NULL, &ts, &mask));
  write(p[1], "x", 1);
  FD_SET(p[0], &r);
  SHOW(pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL));
  show_set("read", &r, 8);
  struct timespec bad = {0, -1};
  SHOW(pselect(p[0] + 1, &r, NULL, NULL, &bad, NULL));
}

static void handler(int sig) { (void)sig; }

CASE(select_eintr)
// covers: select setitimer
{
  int p[2];
  pipe(p);
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  // Repeating: a one-shot alarm could fire before select blocks (the
  // process descheduled that long on a loaded machine) and it would wait forever.
  struct itimerval it = {{0, 10000}, {0, 10000}};
  setitimer(ITIMER_REAL, &it, NULL);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  SHOW(select(p[0] + 1, &r, NULL, NULL, NULL));
  struct itimerval zero = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &zero, NULL);
}
