// A loop of trivial system calls (getpid), timed with clock_gettime: ns per call.
// Used by bench/syscall, natively and under shoal.
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  struct timespec t0, t1;
  long sink = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; ++i) sink += syscall(SYS_getpid);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n;
  printf("%.2f ns per getpid (%ld calls, sink %ld)\n", ns, n, sink & 1);
  return 0;
}
