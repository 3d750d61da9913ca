// libc: glibc musl
// FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI (issue 11): a condition
// variable over a priority-inheritance mutex. A waiter sleeps on the
// condition's futex and returns owning the PI mutex: a signal wakes one
// (taking the free lock for it), a broadcast moves the others to the
// mutex's queue, whose unlocks hand the lock on. Then the errors of man 2
// futex, and pthread_cond_* over a PTHREAD_PRIO_INHERIT mutex (what the C
// library does there, with several waiters, signal and broadcast).
#include <limits.h>
#include <pthread.h>
#include <time.h>

#include "compat.h"

// <linux/futex.h>'s numbers (musl-gcc has no kernel headers).
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_TID_MASK 0x3fffffffu

static long futex(uint32_t* w, int op, uint32_t val, const void* ts_or_n, uint32_t* w2, uint32_t val3) {
  return syscall(SYS_futex, w, op, val, ts_or_n, w2, val3);
}
static uint32_t tid(void) { return (uint32_t)syscall(SYS_gettid); }

// The PI mutex protocol (what a C library does in user space).
static void pi_lock(uint32_t* m) {
  uint32_t zero = 0;
  if (!__atomic_compare_exchange_n(m, &zero, tid(), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    futex(m, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
}
static void pi_unlock(uint32_t* m) {
  uint32_t self = tid();
  if (!__atomic_compare_exchange_n(m, &self, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    futex(m, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
}

enum { kWaiters = 4 };
static uint32_t g_mutex, g_cond;
static int g_waiting, g_woken, g_owned_on_return, g_inside, g_overlap;

static void* cond_waiter(void* arg) {
  (void)arg;
  pi_lock(&g_mutex);
  uint32_t seq = __atomic_load_n(&g_cond, __ATOMIC_SEQ_CST);
  ++g_waiting;
  pi_unlock(&g_mutex);
  long r = futex(&g_cond, FUTEX_WAIT_REQUEUE_PI, seq, NULL, &g_mutex, 0);
  // Back from the wait with 0, the mutex is this thread's.
  if (r == 0 && (__atomic_load_n(&g_mutex, __ATOMIC_SEQ_CST) & FUTEX_TID_MASK) == tid()) ++g_owned_on_return;
  if (r != 0) printf("wait returned %ld %s\n", r, errname(errno));
  if (g_inside++ != 0) ++g_overlap;
  usleep(2000);  // hold it a while: the others must wait their turn
  ++g_woken;
  --g_inside;
  pi_unlock(&g_mutex);
  return NULL;
}

// Lets the waiters reach their futex wait (one CPU: they run while this
// thread sleeps).
static void settle(int waiting) {
  while (__atomic_load_n(&g_waiting, __ATOMIC_SEQ_CST) < waiting) usleep(1000);
  usleep(50000);
}

CASE(requeue_pi_condvar)
// covers: futex
{
  pthread_t t[kWaiters];
  for (int i = 0; i < kWaiters; ++i) pthread_create(&t[i], NULL, cond_waiter, NULL);
  settle(kWaiters);
  // Only CMP_REQUEUE_PI moves these waiters.
  SHOW(futex(&g_cond, FUTEX_WAKE, 1, NULL, NULL, 0));
  SHOW(futex(&g_cond, FUTEX_CMP_REQUEUE, 1, (void*)1, &g_mutex, g_cond));
  // Signal, the mutex free: the top waiter gets it and is woken.
  __atomic_fetch_add(&g_cond, 1, __ATOMIC_SEQ_CST);
  SHOW(futex(&g_cond, FUTEX_CMP_REQUEUE_PI, 1, (void*)0, &g_mutex, g_cond));
  usleep(50000);
  printf("after signal: woken %d\n", g_woken);
  // Broadcast while holding the mutex: every waiter moves to its queue.
  pi_lock(&g_mutex);
  __atomic_fetch_add(&g_cond, 1, __ATOMIC_SEQ_CST);
  SHOW(futex(&g_cond, FUTEX_CMP_REQUEUE_PI, 1, (void*)INT_MAX, &g_mutex, g_cond));
  printf("waiters bit %d, woken %d\n", (g_mutex & FUTEX_WAITERS) != 0, g_woken);
  pi_unlock(&g_mutex);
  for (int i = 0; i < kWaiters; ++i) pthread_join(t[i], NULL);
  printf("woken %d, owning the mutex on return %d, overlaps %d, mutex word %u\n", g_woken, g_owned_on_return,
         g_overlap, g_mutex);
}

static uint32_t g_mutex2, g_cond2;
static int g_waiting2, g_woken2;

static void* cond_waiter2(void* arg) {
  (void)arg;
  pi_lock(&g_mutex2);
  uint32_t seq = g_cond2;
  ++g_waiting2;
  pi_unlock(&g_mutex2);
  if (futex(&g_cond2, FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG, seq, NULL, &g_mutex2, 0) == 0) ++g_woken2;
  pi_unlock(&g_mutex2);
  return NULL;
}

CASE(requeue_pi_broadcast_free_mutex)
// covers: futex
{
  // A broadcast with the mutex free: one waiter is woken owning it, the
  // others are requeued behind it (the count is both).
  pthread_t t[3];
  for (int i = 0; i < 3; ++i) pthread_create(&t[i], NULL, cond_waiter2, NULL);
  while (__atomic_load_n(&g_waiting2, __ATOMIC_SEQ_CST) < 3) usleep(1000);
  usleep(50000);
  ++g_cond2;
  SHOW(futex(&g_cond2, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, (void*)INT_MAX, &g_mutex2, g_cond2));
  for (int i = 0; i < 3; ++i) pthread_join(t[i], NULL);
  printf("woken %d, mutex word %u\n", g_woken2, g_mutex2);
}

CASE(requeue_pi_errors)
// covers: futex
{
  static uint32_t c = 5, m = 0;
  // Two distinct futexes, for both operations.
  SHOW(futex(&c, FUTEX_WAIT_REQUEUE_PI, 5, NULL, &c, 0));
  SHOW(futex(&c, FUTEX_CMP_REQUEUE_PI, 1, (void*)0, &c, 5));
  // The value changed: the wait does not start; the requeue does nothing.
  SHOW(futex(&c, FUTEX_WAIT_REQUEUE_PI, 4, NULL, &m, 0));
  SHOW(futex(&c, FUTEX_CMP_REQUEUE_PI, 1, (void*)0, &m, 4));
  // Exactly one waiter may be woken.
  SHOW(futex(&c, FUTEX_CMP_REQUEUE_PI, 2, (void*)0, &m, 5));
  SHOW(futex(&c, FUTEX_CMP_REQUEUE_PI, 0, (void*)0, &m, 5));
  SHOW(futex(&c, FUTEX_CMP_REQUEUE_PI, 1, (void*)-1, &m, 5));
  // Nobody waits: nothing woken or moved, the mutex untouched.
  SHOW(futex(&c, FUTEX_CMP_REQUEUE_PI, 1, (void*)INT_MAX, &m, 5));
  printf("mutex word %u\n", m);
  // A bad PI futex address.
  SHOW(futex(&c, FUTEX_WAIT_REQUEUE_PI, 5, NULL, (uint32_t*)BAD_PTR, 0));
  SHOW(futex(&c, FUTEX_CMP_REQUEUE_PI, 1, (void*)0, (uint32_t*)BAD_PTR, 5));
  // The timeout is absolute (CLOCK_MONOTONIC, or CLOCK_REALTIME with the flag).
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 20 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
  SHOW(futex(&c, FUTEX_WAIT_REQUEUE_PI, 5, &now, &m, 0));
  clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += 20 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
  SHOW(futex(&c, FUTEX_WAIT_REQUEUE_PI | FUTEX_CLOCK_REALTIME, 5, &now, &m, 0));
  struct timespec bad = {0, 1000000000};
  SHOW(futex(&c, FUTEX_WAIT_REQUEUE_PI, 5, &bad, &m, 0));
  printf("mutex word %u\n", m);
}

static pthread_mutex_t g_pm;
static pthread_cond_t g_pc = PTHREAD_COND_INITIALIZER;
static int g_ready, g_go, g_ran, g_pwaiting;

static void* pthread_waiter(void* arg) {
  (void)arg;
  pthread_mutex_lock(&g_pm);
  ++g_pwaiting;
  while (g_go <= g_ran) pthread_cond_wait(&g_pc, &g_pm);
  ++g_ran;
  pthread_mutex_unlock(&g_pm);
  return NULL;
}

CASE(requeue_pi_pthread_cond)
// covers: futex
{
  // What a program writes: pthread_cond_wait over a PTHREAD_PRIO_INHERIT
  // mutex, four waiters, one signal, then a broadcast.
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  SHOW(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT));
  SHOW(pthread_mutex_init(&g_pm, &a));
  pthread_t t[4];
  for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, pthread_waiter, NULL);
  for (;;) {
    pthread_mutex_lock(&g_pm);
    int n = g_pwaiting;
    pthread_mutex_unlock(&g_pm);
    if (n == 4) break;
    usleep(1000);
  }
  usleep(50000);
  pthread_mutex_lock(&g_pm);
  g_go = 1;
  SHOW(pthread_cond_signal(&g_pc));
  pthread_mutex_unlock(&g_pm);
  usleep(50000);
  pthread_mutex_lock(&g_pm);
  printf("after signal: ran %d\n", g_ran);
  g_go = 4;
  SHOW(pthread_cond_broadcast(&g_pc));
  pthread_mutex_unlock(&g_pm);
  for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
  printf("ran %d\n", g_ran);
  (void)g_ready;
}
