// Memory growth figures for bench/memory (and a plain program natively):
//   mem_grow touch    µs per MiB to touch one byte per page of a fresh 64 MiB mapping
//   mem_grow mremap   ms to grow a mapping 1 -> 64 MiB in 1 MiB mremap steps (touching the new end)
//   mem_grow realloc  ms to grow a malloc block 1 -> 64 MiB in 64 KiB realloc steps
//   mem_grow reserve  ms for Go-style start-up: reserve 64 GiB PROT_NONE, map 64 MiB of it RW, touch it
// Prints one number.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "touch";
  const size_t mib = 1 << 20;
  if (strcmp(mode, "touch") == 0) {
    size_t len = 64 * mib;
    volatile char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    double t0 = now_ms();
    for (size_t i = 0; i < len; i += 4096) p[i] = 1;
    double t1 = now_ms();
    printf("%.1f\n", (t1 - t0) * 1e3 / 64);
  } else if (strcmp(mode, "mremap") == 0) {
    size_t len = mib;
    char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 1, len);
    double t0 = now_ms();
    for (size_t n = 2 * mib; n <= 64 * mib; n += mib) {
      p = mremap(p, len, n, MREMAP_MAYMOVE);
      if (p == MAP_FAILED) return 1;
      len = n;
      p[len - 1] = 1;
    }
    printf("%.2f\n", now_ms() - t0);
  } else if (strcmp(mode, "realloc") == 0) {
    char* p = malloc(mib);
    memset(p, 1, mib);
    double t0 = now_ms();
    for (size_t n = mib + 65536; n <= 64 * mib; n += 65536) {
      p = realloc(p, n);
      if (p == NULL) return 1;
      p[n - 1] = 1;
    }
    printf("%.2f\n", now_ms() - t0);
  } else if (strcmp(mode, "reserve") == 0) {
    double t0 = now_ms();
    char* p = mmap(NULL, 64ul << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return 1;
    char* q = mmap(p, 64 * mib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (q != p) return 1;
    for (size_t i = 0; i < 64 * mib; i += 4096) q[i] = 1;
    printf("%.2f\n", now_ms() - t0);
  } else {
    return 2;
  }
  return 0;
}
