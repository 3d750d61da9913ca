// bench/exec's guest: execs itself N times and prints the mean time per
// execve (from the call to the new program's main), so the same binary
// measures native Linux and shoal in one run.
//   exec_loop N            start: remember the time, exec with N-1
//   exec_loop N START_NS   one link of the chain
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: exec_loop N\n");
    return 2;
  }
  long n = atol(argv[1]);
  char start[32];
  if (argc < 3) {
    snprintf(start, sizeof start, "%" PRIu64, now_ns());
    argv[2] = start;
  }
  if (n <= 0) {
    printf("%" PRIu64 "\n", now_ns() - strtoull(argv[2], NULL, 10));
    return 0;
  }
  char next[32];
  snprintf(next, sizeof next, "%ld", n - 1);
  static char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return 3;
  self[len] = '\0';
  char* args[] = {argv[0], next, argc < 3 ? start : argv[2], NULL};
  execv(self, args);
  perror("execv");
  return 1;
}
