// bench/guest/memgrow: the memory-growth patterns of runtimes, timed inside
// the program so that only the pattern is measured (not boot). Run natively
// and under shoal by bench/runtimes, which prints the ratios.
//
//   memgrow touch|mremap|realloc [MiB]   (default 64)
//
// touch:   mmap fresh anonymous memory and write one byte per 4 KiB page;
//          prints "touch MB/s <x>".
// mremap:  grow a mapping 1 MiB -> MiB in 1 MiB steps with mremap(MAYMOVE),
//          touching each new page; prints "mremap ms <total> calls-ms <y>",
//          y being the time spent inside mremap itself.
// realloc: grow a malloc'd block 1 MiB -> MiB in 64 KiB steps, writing one byte
//          per new page; prints "realloc ms <total> calls-ms <y>".
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: memgrow touch|mremap|realloc [MiB]\n");
    return 2;
  }
  size_t mib = argc > 2 ? strtoul(argv[2], 0, 10) : 64, size = mib << 20, page = 4096;
  volatile unsigned long sum = 0;
  double in_calls = 0;
  if (!strcmp(argv[1], "touch")) {
    // Several fresh mappings, so one run measures first touch, not a cache.
    int rounds = 4;
    double t0 = now_ms();
    for (int r = 0; r < rounds; ++r) {
      char* p = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) { perror("mmap"); return 1; }
      for (size_t o = 0; o < size; o += page) p[o] = 1;
      for (size_t o = 0; o < size; o += page) sum += p[o];
      munmap(p, size);
    }
    double ms = now_ms() - t0;
    printf("touch MB/s %.1f\n", rounds * (double)mib / (ms / 1e3));
  } else if (!strcmp(argv[1], "mremap")) {
    size_t cur = 1 << 20;
    double t0 = now_ms();
    char* p = mmap(0, cur, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t o = 0; o < cur; o += page) p[o] = 1;
    while (cur < size) {
      size_t next = cur + (1 << 20);
      double c0 = now_ms();
      char* q = mremap(p, cur, next, MREMAP_MAYMOVE);
      in_calls += now_ms() - c0;
      if (q == MAP_FAILED) { perror("mremap"); return 1; }
      p = q;
      for (size_t o = cur; o < next; o += page) p[o] = 1;
      cur = next;
    }
    for (size_t o = 0; o < cur; o += page) sum += p[o];
    double ms = now_ms() - t0;
    munmap(p, cur);
    printf("mremap ms %.2f calls-ms %.2f\n", ms, in_calls);
  } else if (!strcmp(argv[1], "realloc")) {
    size_t cur = 1 << 20;
    double t0 = now_ms();
    char* p = malloc(cur);
    if (!p) return 1;
    memset(p, 1, cur);
    while (cur < size) {
      size_t next = cur + (64 << 10);
      double c0 = now_ms();
      char* q = realloc(p, next);
      in_calls += now_ms() - c0;
      if (!q) { perror("realloc"); return 1; }
      p = q;
      for (size_t o = cur; o < next; o += page) p[o] = 1;
      cur = next;
    }
    for (size_t o = 0; o < cur; o += page) sum += p[o];
    double ms = now_ms() - t0;
    free(p);
    printf("realloc ms %.2f calls-ms %.2f\n", ms, in_calls);
  } else {
    fprintf(stderr, "memgrow: unknown mode %s\n", argv[1]);
    return 2;
  }
  if (sum == 0) printf("(unexpected zero sum)\n");
  return 0;
}
