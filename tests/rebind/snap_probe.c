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
// Usage: snap_probe PORT [serve]
//   serve: then accept connections forever, answering each with
//   "instance <getrandom hex>\n" (tests reach two resumed instances apart).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
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

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: snap_probe PORT [serve]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int serve = argc > 2 && strcmp(argv[2], "serve") == 0;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (l < 0 || bind(l, (struct sockaddr*)&a, sizeof a) != 0 || listen(l, 16) != 0) {
    perror("listen");
    return 1;
  }
  // Nothing buffered may cross the snapshot: each instance would print it.
  printf("listening %d\n", port);
  fflush(stdout);

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
