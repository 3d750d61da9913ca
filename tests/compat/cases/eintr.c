// Blocking file waits interrupted by a signal: EINTR, or a transparent
// restart with SA_RESTART (read/write), never for poll.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "compat.h"

static volatile int g_hits;
static void handler(int sig) {
  (void)sig;
  g_hits++;
}

// The alarm repeats every usec until stop_alarm(): a one-shot alarm could
// fire before the call blocks when the process is descheduled that long (a
// loaded CI machine), and the call would then wait for nothing. So the
// number of hits varies: cases print whether there were any.
static void on_alarm(int flags, long usec) {
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigaction(SIGALRM, &sa, NULL);
  g_hits = 0;
  struct itimerval it = {{0, usec}, {0, usec}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static const char* stop_alarm(void) {
  struct itimerval zero = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &zero, NULL);
  return g_hits > 0 ? "some" : "none";
}

CASE(pipe_read_eintr)
// covers: read setitimer rt_sigaction
{
  int p[2];
  char c;
  pipe(p);
  on_alarm(0, 10000);
  SHOW(read(p[0], &c, 1));
  printf("hits %s\n", stop_alarm());
}

static int g_write_fd;
static void* late_writer(void* arg) {
  (void)arg;
  struct timespec d = {0, 60000000};
  nanosleep(&d, NULL);
  write(g_write_fd, "z", 1);
  return NULL;
}

CASE(pipe_read_restart)
// covers: read setitimer rt_sigaction clone
{
  int p[2];
  char c = 0;
  pipe(p);
  g_write_fd = p[1];
  on_alarm(SA_RESTART, 10000);
  pthread_t t;
  pthread_create(&t, NULL, late_writer, NULL);
  SHOW(read(p[0], &c, 1));
  printf("got %c hits %s\n", c, stop_alarm());
  pthread_join(t, NULL);
}

CASE(pipe_write_full_eintr)
// covers: write setitimer
{
  int p[2];
  static char big[65536 * 2];
  pipe(p);
  on_alarm(0, 10000);
  long n = write(p[1], big, sizeof big);
  printf("partial write %ld hits %s\n", n, stop_alarm());
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  n = write(p[1], big, 10);
  printf("full pipe write %ld %s\n", n, n < 0 ? errname(errno) : "");
}

CASE(poll_eintr_even_with_restart)
// covers: poll ppoll setitimer
{
  int p[2];
  pipe(p);
  on_alarm(SA_RESTART, 10000);
  struct pollfd fds[1] = {{p[0], POLLIN, 0}};
  SHOW(poll(fds, 1, 5000));
  printf("hits %s\n", stop_alarm());
  on_alarm(SA_RESTART, 10000);
  struct timespec ts = {5, 0};
  SHOW(ppoll(fds, 1, &ts, NULL));
  printf("hits %s\n", stop_alarm());
}
