// pthreads under musl: 16 threads incrementing a mutex-protected counter.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void* work(void* arg) {
  (void)arg;
  for (int i = 0; i < 10000; ++i) { pthread_mutex_lock(&m); ++counter; pthread_mutex_unlock(&m); }
  return NULL;
}

int main(void) {
  pthread_t t[16];
  for (int i = 0; i < 16; ++i) pthread_create(&t[i], NULL, work, NULL);
  for (int i = 0; i < 16; ++i) pthread_join(t[i], NULL);
  printf("counter %ld\n", counter);
  return 0;
}
