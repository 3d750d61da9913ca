// What a resumed snapshot must re-bind, seen by a program (issue 13). It
// listens on a TCP port and polls the listener with a timeout of ~300 ms:
// under `shoal-vmm --snapshot-out` the LibOS's ready point (every thread
// waits, a socket listens) falls inside that poll, so a snapshot holds this
// program mid-wait. After the poll it prints, one "key value" per line, what
// must differ or stay consistent per instance: getrandom, /dev/urandom and
// /dev/random bytes, CLOCK_REALTIME, CLOCK_MONOTONIC before and after the
// poll, getpid, its start time from /proc (btime + starttime / USER_HZ) and
// /proc/uptime. Runs natively too (the same lines; the test checks the
// natively-meaningful ones there).
//
// Usage: snap_probe PORT [serve] [early PORT0] [timers]
//   PORT 0: listen on an AF_UNIX socket (an abstract name) instead.
//   serve: then accept connections forever, answering each with
//   "instance <getrandom hex>\n" (tests reach two resumed instances apart).
//   early PORT0: first listen on PORT0 and poll it for 50 ms (a ready point
//   for `--ready listen`, not for `--ready port:PORT`).
//   timers: before the poll, start waits that the snapshot catches pending
//   (a 500 ms nanosleep and a 400 ms condition-variable wait on
//   CLOCK_MONOTONIC in two threads, a 600 ms ITIMER_REAL, a 350 ms
//   epoll_wait in a third thread) and print how long each took
//   ("timer_NAME_ms N"): a resumed instance must keep their remaining time.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hex(const char* key, const unsigned char* b, size_t n) {
  printf("%s ", key);
  for (size_t i = 0; i < n; ++i) printf("%02x", b[i]);
  printf("\n");
}

static void file_bytes(const char* key, const char* path) {
  unsigned char b[16] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
    printf("%s error\n", key);
  } else {
    hex(key, b, sizeof b);
  }
  if (fd >= 0) close(fd);
}

static int read_text(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return 0;
}

// btime + starttime / CLK_TCK, in ms since the epoch; -1 if /proc says nothing.
static long long start_ms(void) {
  char stat[1024], sys[4096];
  if (read_text("/proc/self/stat", stat, sizeof stat) < 0 || read_text("/proc/stat", sys, sizeof sys) < 0) return -1;
  // Field 22 (starttime) counts from the field after "comm)".
  char* p = strrchr(stat, ')');
  if (p == NULL) return -1;
  p += 2;
  for (int field = 3; field < 22 && p != NULL; ++field) {
    p = strchr(p, ' ');
    if (p != NULL) ++p;
  }
  char* b = strstr(sys, "\nbtime ");
  if (p == NULL || b == NULL) return -1;
  unsigned long long starttime = strtoull(p, NULL, 10);
  unsigned long long btime = strtoull(b + 7, NULL, 10);
  long hz = sysconf(_SC_CLK_TCK);
  printf("starttime_ticks %llu\nbtime %llu\n", starttime, btime);
  return (long long)btime * 1000 + (long long)(starttime * 1000 / (unsigned long long)hz);
}

// ---- timers mode ----
static uint64_t g_t0;
static volatile uint64_t g_alarm_at;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv;
static uint64_t g_sleep_ms, g_cond_ms, g_epoll_ms;
static int g_epoll_listener = -1;

static void on_alarm(int sig) {
  (void)sig;
  g_alarm_at = clock_ns(CLOCK_MONOTONIC);
}

static void* sleeper(void* arg) {
  (void)arg;
  struct timespec ts = {0, 500000000};
  while (nanosleep(&ts, &ts) != 0) {
  }
  g_sleep_ms = (clock_ns(CLOCK_MONOTONIC) - g_t0) / 1000000;
  return NULL;
}

static void* cond_waiter(void* arg) {
  (void)arg;
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 400000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec += 1;
    until.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&g_mu);
  int r = 0;
  while (r == 0) r = pthread_cond_timedwait(&g_cv, &g_mu, &until);  // nobody signals
  pthread_mutex_unlock(&g_mu);
  g_cond_ms = (clock_ns(CLOCK_MONOTONIC) - g_t0) / 1000000;
  return NULL;
}

static void* epoll_waiter(void* arg) {
  (void)arg;
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = g_epoll_listener};
  epoll_ctl(ep, EPOLL_CTL_ADD, g_epoll_listener, &ev);
  struct epoll_event out;
  int r;
  do {
    r = epoll_wait(ep, &out, 1, 350);
  } while (r < 0);
  g_epoll_ms = (clock_ns(CLOCK_MONOTONIC) - g_t0) / 1000000;
  close(ep);
  return NULL;
}

static pthread_t g_threads[3];

static void timers_start(int listener) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g_cv, &ca);
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  g_epoll_listener = listener;
  g_t0 = clock_ns(CLOCK_MONOTONIC);
  struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 600000}};
  setitimer(ITIMER_REAL, &it, NULL);
  pthread_create(&g_threads[0], NULL, sleeper, NULL);
  pthread_create(&g_threads[1], NULL, cond_waiter, NULL);
  pthread_create(&g_threads[2], NULL, epoll_waiter, NULL);
}

static void timers_report(void) {
  for (int i = 0; i < 3; ++i) pthread_join(g_threads[i], NULL);
  while (g_alarm_at == 0) pause();
  printf("timer_sleep_ms %llu\n", (unsigned long long)g_sleep_ms);
  printf("timer_condwait_ms %llu\n", (unsigned long long)g_cond_ms);
  printf("timer_epoll_ms %llu\n", (unsigned long long)g_epoll_ms);
  printf("timer_itimer_ms %llu\n", (unsigned long long)((g_alarm_at - g_t0) / 1000000));
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: snap_probe PORT [serve]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int serve = 0, early = 0, timers = 0;
  for (int i = 2; i < argc; ++i) {
    if (strcmp(argv[i], "serve") == 0) serve = 1;
    if (strcmp(argv[i], "timers") == 0) timers = 1;
    if (strcmp(argv[i], "early") == 0 && i + 1 < argc) early = atoi(argv[++i]);
  }
  if (early != 0) {
    int e = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in ea = {.sin_family = AF_INET, .sin_port = htons((uint16_t)early), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (e < 0 || bind(e, (struct sockaddr*)&ea, sizeof ea) != 0 || listen(e, 4) != 0) {
      perror("early listen");
      return 1;
    }
    struct pollfd ep = {.fd = e, .events = POLLIN};
    printf("early_listening %d\n", early);
    fflush(stdout);
    int er = poll(&ep, 1, 50);
    printf("early_poll %d\n", er);
    fflush(stdout);
  }
  int l;
  if (port == 0) {
    // PORT 0: an AF_UNIX listener (an abstract name) instead of TCP.
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un u = {.sun_family = AF_UNIX};
    memcpy(u.sun_path, "\0snap_probe", 11);
    if (l < 0 || bind(l, (struct sockaddr*)&u, offsetof(struct sockaddr_un, sun_path) + 11) != 0 || listen(l, 16) != 0) {
      perror("listen");
      return 1;
    }
  } else {
    l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (l < 0 || bind(l, (struct sockaddr*)&a, sizeof a) != 0 || listen(l, 16) != 0) {
      perror("listen");
      return 1;
    }
  }
  // Nothing buffered may cross the snapshot: each instance would print it.
  printf("listening %d\n", port);
  fflush(stdout);

  if (timers) timers_start(l);
  struct pollfd pfd = {.fd = l, .events = POLLIN};
  uint64_t before = clock_ns(CLOCK_MONOTONIC);
  int r = poll(&pfd, 1, 300);  // the ready point is in here
  uint64_t after = clock_ns(CLOCK_MONOTONIC);
  printf("poll %d\n", r);
  printf("poll_monotonic_before %llu\n", (unsigned long long)before);
  printf("poll_monotonic_after %llu\n", (unsigned long long)after);

  unsigned char g[16];
  if (getrandom(g, sizeof g, 0) != (ssize_t)sizeof g) return 1;
  hex("getrandom", g, sizeof g);
  file_bytes("urandom", "/dev/urandom");
  file_bytes("random", "/dev/random");
  printf("realtime_ms %llu\n", (unsigned long long)(clock_ns(CLOCK_REALTIME) / 1000000));
  printf("monotonic %llu\n", (unsigned long long)clock_ns(CLOCK_MONOTONIC));
  printf("pid %d\n", (int)getpid());
  printf("start_ms %lld\n", start_ms());
  char up[128];
  if (read_text("/proc/uptime", up, sizeof up) == 0) {
    printf("uptime_ms %llu\n", (unsigned long long)(strtod(up, NULL) * 1000));
    printf("boot_from_uptime_ms %llu\n",
           (unsigned long long)(clock_ns(CLOCK_REALTIME) / 1000000 - (uint64_t)(strtod(up, NULL) * 1000)));
  }
  if (timers) timers_report();
  printf("done\n");
  fflush(stdout);
  if (!serve) return 0;

  for (;;) {
    int c = accept(l, NULL, NULL);
    if (c < 0) continue;
    char line[64];
    int n = snprintf(line, sizeof line, "instance ");
    for (size_t i = 0; i < sizeof g; ++i) n += snprintf(line + n, sizeof line - (size_t)n, "%02x", g[i]);
    line[n++] = '\n';
    (void)write(c, line, (size_t)n);
    close(c);
  }
}
