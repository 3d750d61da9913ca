// clone (threads), futex, gettid, exit of a thread, set_tid_address.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/time.h>

#include "compat.h"

static int g_counter;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static void* add(void* arg) {
  for (int i = 0; i < 10000; i++) {
    pthread_mutex_lock(&g_mu);
    g_counter++;
    pthread_mutex_unlock(&g_mu);
    if (i % 1000 == 0) sched_yield();
  }
  return arg;
}

CASE(threads_join)
// covers: clone clone3 futex set_robust_list
{
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, add, (void*)i);
  long sum = 0;
  for (int i = 0; i < 4; i++) {
    void* r;
    pthread_join(t[i], &r);
    sum += (long)r;
  }
  printf("counter %d sum %ld\n", g_counter, sum);
}

static void* tid_of(void* arg) {
  (void)arg;
  return (void*)(long)(gettid() != getpid());
}

CASE(thread_has_own_tid)
// covers: gettid clone
{
  pthread_t t;
  void* r;
  pthread_create(&t, NULL, tid_of, NULL);
  pthread_join(t, &r);
  printf("thread tid differs from pid %ld\n", (long)r);
}

CASE(futex_errors)
// covers: futex
{
  int word = 5;
  SHOW(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0));
  SHOW(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  struct timespec ts = {0, 1000000};
  SHOW(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0));
  SHOW(syscall(SYS_futex, BAD_PTR, FUTEX_WAIT_PRIVATE, 5, NULL, NULL, 0));
  SHOW(syscall(SYS_futex, (char*)&word + 1, FUTEX_WAIT_PRIVATE, 5, NULL, NULL, 0));
  SHOW(syscall(SYS_futex, &word, 99, 5, NULL, NULL, 0));
  struct timespec bad = {0, -1};
  SHOW(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &bad, NULL, 0));
}

static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_ready;

static void* signaller(void* arg) {
  (void)arg;
  pthread_mutex_lock(&g_mu);
  g_ready = 1;
  pthread_cond_signal(&g_cv);
  pthread_mutex_unlock(&g_mu);
  return NULL;
}

CASE(condvar_wakeup)
// covers: futex clone
{
  pthread_t t;
  pthread_mutex_lock(&g_mu);
  pthread_create(&t, NULL, signaller, NULL);
  while (!g_ready) pthread_cond_wait(&g_cv, &g_mu);
  pthread_mutex_unlock(&g_mu);
  pthread_join(t, NULL);
  printf("woken ready %d\n", g_ready);
}

CASE(condvar_timeout)
// covers: futex clock_gettime
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 5000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&g_mu);
  int r = pthread_cond_timedwait(&g_cv, &g_mu, &ts);
  pthread_mutex_unlock(&g_mu);
  printf("timedwait %s\n", errname(r));
}

static void* exiter(void* arg) {
  (void)arg;
  pthread_exit((void*)42);
}

CASE(thread_exit_value)
// covers: exit clone
{
  pthread_t t;
  void* r;
  pthread_create(&t, NULL, exiter, NULL);
  pthread_join(t, &r);
  printf("exit value %ld\n", (long)r);
}

static __thread int g_tls = 1;
static void* tls_reader(void* arg) {
  (void)arg;
  g_tls += 10;
  return (void*)(long)g_tls;
}

CASE(thread_local_storage)
// covers: clone arch_prctl
{
  pthread_t t;
  void* r;
  g_tls = 5;
  pthread_create(&t, NULL, tls_reader, NULL);
  pthread_join(t, &r);
  printf("thread saw %ld main has %d\n", (long)r, g_tls);
}

static void* pipe_writer(void* arg) {
  int fd = (int)(long)arg;
  for (int i = 0; i < 100; i++) write(fd, "0123456789", 10);
  close(fd);
  return NULL;
}

CASE(pipe_between_threads)
// covers: pipe read write clone
{
  int p[2];
  pipe(p);
  pthread_t t;
  pthread_create(&t, NULL, pipe_writer, (void*)(long)p[1]);
  char buf[64];
  long total = 0, n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) total += n;
  pthread_join(t, NULL);
  printf("received %ld\n", total);
}
