// nap [SECONDS]: sleeps SECONDS (default 3) and exits 0: a guest that stays
// blocked in the monitor's `block` hypercall long enough for a test to look
// at the running shoal-vmm from outside (timer_slack.sh).
// nap short N: N sleeps of 20 us (Go's sysmon's), each checked never to end
// early; prints "short sleeps N" (short_sleep.sh counts the exits).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "short") == 0) {
    int n = atoi(argv[2]);
    struct timespec req = {0, 20000};
    for (int i = 0; i < n; ++i) {
      long long t0 = now_ns();
      if (nanosleep(&req, NULL) != 0) return 1;
      if (now_ns() - t0 < 20000) {
        printf("sleep %d ended early: %lld ns\n", i, now_ns() - t0);
        return 1;
      }
    }
    printf("short sleeps %d\n", n);
    return 0;
  }
  sleep(argc > 1 ? (unsigned)atoi(argv[1]) : 3u);
  return 0;
}
