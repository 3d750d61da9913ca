// bench/mm_calls (issue 12): what an anonymous mmap, munmap and madvise cost,
// and the first write after them. Run natively and under shoal by
// bench/mm_calls.sh; prints one line per row: NAME MEDIAN_US.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define RUNS 101

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double median(double* v) {
  qsort(v, RUNS, sizeof *v, cmp);
  return v[RUNS / 2];
}

int main(void) {
  static double t_map[RUNS], t_touch[RUNS], t_unmap[RUNS], t_adv[RUNS], t_rewrite[RUNS];
  size_t sizes[] = {4096, 64 << 10, 2 << 20, 8 << 20};
  for (int s = 0; s < 4; ++s) {
    size_t len = sizes[s];
    for (int i = 0; i < RUNS; ++i) {
      double a = now_us();
      char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      double b = now_us();
      if (p == MAP_FAILED) return 1;
      p[0] = 1;
      double c = now_us();
      munmap(p, len);
      double d = now_us();
      t_map[i] = b - a, t_touch[i] = c - b, t_unmap[i] = d - c;
    }
    printf("mmap_%zuk %.1f\n", len >> 10, median(t_map));
    printf("first_write_%zuk %.1f\n", len >> 10, median(t_touch));
    printf("munmap_%zuk %.1f\n", len >> 10, median(t_unmap));
  }
  // madvise on a written part of a 2 MiB mapping, then writing it again.
  size_t adv[] = {4096, 64 << 10, 1 << 20};
  int kinds[] = {MADV_DONTNEED, MADV_FREE};
  char* p = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (int k = 0; k < 2; ++k) {
    for (int s = 0; s < 3; ++s) {
      size_t len = adv[s];
      for (int i = 0; i < RUNS; ++i) {
        memset(p, 1, len);
        double a = now_us();
        madvise(p, len, kinds[k]);
        double b = now_us();
        memset(p, 2, len);
        double c = now_us();
        t_adv[i] = b - a, t_rewrite[i] = c - b;
      }
      const char* name = k == 0 ? "dontneed" : "free";
      printf("madv_%s_%zuk %.1f\n", name, len >> 10, median(t_adv));
      printf("rewrite_after_%s_%zuk %.1f\n", name, len >> 10, median(t_rewrite));
    }
  }
  return 0;
}
