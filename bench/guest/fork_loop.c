// The guest side of bench/fork (also run natively by it):
//   fork_loop latency N   N times fork, the child _exits, the parent waitpids;
//                         prints microseconds per round trip
//   fork_loop idle K      forks K children that wait (pause), prints "ready"
//                         and waits for its stdin to close, then ends them
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  long n = atol(argv[2]);
  // Some memory the program has written, as a real one would have: the
  // children share it copy-on-write.
  size_t heap = 8u << 20;
  char* mem = malloc(heap);
  memset(mem, 1, heap);
  if (strcmp(argv[1], "latency") == 0) {
    // One warm-up round.
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
    double t0 = now_us();
    for (long i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) _exit(0);
      if (pid < 0) return 1;
      int st;
      if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return 1;
    }
    printf("%.1f\n", (now_us() - t0) / n);
    return mem[heap - 1] == 1 ? 0 : 1;
  }
  pid_t pids[256];
  if (n > 256) n = 256;
  for (long i = 0; i < n; ++i) {
    pids[i] = fork();
    if (pids[i] == 0) {
      for (;;) pause();
    }
  }
  printf("ready\n");
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (long i = 0; i < n; ++i) kill(pids[i], SIGKILL);
  while (wait(NULL) > 0) {
  }
  return 0;
}
