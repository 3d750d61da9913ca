// Sleeps ARGV[1] seconds (default 3) and exits 0: a guest that stays blocked
// in the monitor's `block` hypercall long enough for a test to look at the
// running shoal-vmm from outside (timer_slack.sh).
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  sleep(argc > 1 ? (unsigned)atoi(argv[1]) : 3u);
  return 0;
}
