// Preemption (issue 11, point 7): a thread that spins without system calls
// does not starve the others, and a signal sent to it is delivered while it
// spins. Under shoal the monitor's time slice interrupts the spinner (one
// vCPU, like the native run, which run.sh pins to one CPU). Also built with
// musl (compat_preempt_musl).
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "compat.h"

static volatile int g_stop;
static volatile unsigned long g_spins;

static void* spin(void* arg) {
  (void)arg;
  while (!g_stop) g_spins++;
  return NULL;
}

static void sleep_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

CASE(spinner_does_not_starve_a_ticker)
// covers: clone nanosleep
{
  pthread_t t;
  SHOW(pthread_create(&t, NULL, spin, NULL));
  for (int i = 0; i < 5; i++) {
    sleep_ms(5);
    printf("tick %d\n", i);
    fflush(stdout);
  }
  g_stop = 1;
  SHOW(pthread_join(t, NULL));
  printf("spinner ran %d\n", g_spins > 0);
}

static volatile int g_got;
static void on_usr1(int sig) {
  g_got = sig;
  g_stop = 1;
}

CASE(signal_reaches_a_spinning_thread)
// covers: clone tgkill rt_sigaction
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  g_stop = 0;
  pthread_t t;
  SHOW(pthread_create(&t, NULL, spin, NULL));
  sleep_ms(20);  // let it spin
  SHOW(pthread_kill(t, SIGUSR1));
  SHOW(pthread_join(t, NULL));  // returns only once the handler stopped the loop
  printf("handler got signal %d\n", g_got);
}

static void* spin_then_flag(void* arg) {
  volatile int* done = arg;
  unsigned long n = 0;
  while (!g_stop) n++;
  *done = n > 0;
  return NULL;
}

CASE(two_spinners_and_a_ticker)
// covers: clone nanosleep
{
  // Three threads ready at once: each slice goes round all of them.
  g_stop = 0;
  volatile int d1 = 0, d2 = 0;
  pthread_t a, b;
  pthread_create(&a, NULL, spin_then_flag, (void*)&d1);
  pthread_create(&b, NULL, spin_then_flag, (void*)&d2);
  for (int i = 0; i < 3; i++) {
    sleep_ms(10);
    printf("tick %d\n", i);
    fflush(stdout);
  }
  g_stop = 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("both spun %d %d\n", d1, d2);
}
