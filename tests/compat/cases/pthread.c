// libc: glibc musl
// Thread corner cases a C library relies on (issue 11, point 8): detached
// threads that return or call pthread_exit (musl unmaps the thread's own
// stack on its way out), robust mutexes whose owner dies, priority-
// inheritance mutexes and the futex operations behind them.
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <time.h>

#include "compat.h"

// <linux/futex.h>'s numbers (musl-gcc has no kernel headers).
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAITERS 0x80000000u

static sem_t g_done;

static void* return_at_once(void* arg) {
  (void)arg;
  sem_post(&g_done);
  return NULL;
}

static void* exit_at_once(void* arg) {
  (void)arg;
  sem_post(&g_done);
  pthread_exit(NULL);
}

// Runs n detached threads one after the other, each with a stack of
// stack_size bytes (0: the default); returns how many were created.
static int run_detached(int n, size_t stack_size, void* (*fn)(void*)) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (stack_size != 0) pthread_attr_setstacksize(&attr, stack_size);
  int made = 0;
  for (int i = 0; i < n; i++) {
    pthread_t t;
    int e = pthread_create(&t, &attr, fn, NULL);
    if (e != 0) {
      printf("pthread_create %d: %s\n", i, errname(e));
      break;
    }
    sem_wait(&g_done);
    made++;
    // Let the thread finish leaving (it may still be on its way out).
    if (i % 16 == 15) usleep(1000);
  }
  pthread_attr_destroy(&attr);
  usleep(2000);
  return made;
}

CASE(detached_return)
// covers: clone munmap exit
{
  sem_init(&g_done, 0, 0);
  printf("created %d\n", run_detached(3, 0, return_at_once));
  printf("still running\n");
}

CASE(detached_pthread_exit)
// covers: clone munmap exit
{
  sem_init(&g_done, 0, 0);
  printf("created %d\n", run_detached(3, 0, exit_at_once));
  printf("still running\n");
}

// 4 MiB stacks x 300 is 1.2 GiB: more than the instance's memory, so the
// stacks must be given back as the threads go.
static void* touch_stack(void* arg) {
  (void)arg;
  volatile char buf[64 * 1024];
  memset((char*)buf, 1, sizeof(buf));
  sem_post(&g_done);
  return NULL;
}

CASE(detached_many)
// covers: clone munmap mmap exit
{
  sem_init(&g_done, 0, 0);
  printf("created %d\n", run_detached(300, 4 << 20, touch_stack));
  // The memory came back: one more large mapping fits.
  void* p = mmap(NULL, 256 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("256 MiB after = %s\n", p == MAP_FAILED ? errname(errno) : "ok");
}

static pthread_mutex_t g_robust;
static sem_t g_locked;

static const char* lock_result(int e) { return e == 0 ? "0" : errname(e); }

static void* lock_and_die(void* arg) {
  printf("owner lock = %s\n", lock_result(pthread_mutex_lock(&g_robust)));
  sem_post(&g_locked);
  if (arg != NULL) usleep(20000);  // the main thread blocks on the mutex meanwhile
  return NULL;                     // dies holding it
}

static void init_robust(int type) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_settype(&a, type);
  pthread_mutex_init(&g_robust, &a);
  pthread_mutexattr_destroy(&a);
}

CASE(robust_owner_dead)
// covers: set_robust_list futex exit
{
  init_robust(PTHREAD_MUTEX_NORMAL);
  sem_init(&g_locked, 0, 0);
  pthread_t t;
  pthread_create(&t, NULL, lock_and_die, NULL);
  pthread_join(t, NULL);
  printf("lock after death = %s\n", lock_result(pthread_mutex_lock(&g_robust)));
  printf("consistent = %s\n", lock_result(pthread_mutex_consistent(&g_robust)));
  printf("unlock = %s\n", lock_result(pthread_mutex_unlock(&g_robust)));
  printf("lock again = %s\n", lock_result(pthread_mutex_lock(&g_robust)));
  printf("unlock = %s\n", lock_result(pthread_mutex_unlock(&g_robust)));
}

CASE(robust_waiter_woken)
// covers: set_robust_list futex exit
{
  init_robust(PTHREAD_MUTEX_ERRORCHECK);
  sem_init(&g_locked, 0, 0);
  pthread_t t;
  pthread_create(&t, NULL, lock_and_die, (void*)1);
  sem_wait(&g_locked);
  // Blocks until the owner dies; the death must wake it.
  printf("blocked lock = %s\n", lock_result(pthread_mutex_lock(&g_robust)));
  pthread_join(t, NULL);
  // Unlocked without pthread_mutex_consistent: the mutex becomes unusable.
  printf("unlock = %s\n", lock_result(pthread_mutex_unlock(&g_robust)));
  printf("lock = %s\n", lock_result(pthread_mutex_lock(&g_robust)));
}

CASE(robust_list_calls)
// covers: get_robust_list set_robust_list
{
  void* head = NULL;
  size_t len = 0;
  SHOW(syscall(SYS_get_robust_list, 0, &head, &len));
  printf("len %zu\n", len);
  static long mine[3];
  mine[0] = (long)mine;  // an empty list points at itself
  SHOW(syscall(SYS_set_robust_list, mine, 24));
  SHOW(syscall(SYS_get_robust_list, 0, &head, &len));
  printf("head is mine %d\n", head == (void*)mine);
  SHOW(syscall(SYS_get_robust_list, gettid(), &head, &len));
  printf("head is mine %d\n", head == (void*)mine);
  SHOW(syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len));
  SHOW(syscall(SYS_get_robust_list, 0, BAD_PTR, &len));
  SHOW(syscall(SYS_set_robust_list, mine, 23));
}

static pthread_mutex_t g_pi;
static int g_counter;

static void* pi_worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    pthread_mutex_lock(&g_pi);
    int v = g_counter;
    if (i % 100 == 0) usleep(100);  // sleep holding it: the others block
    g_counter = v + 1;
    pthread_mutex_unlock(&g_pi);
  }
  return NULL;
}

static void* pi_try(void* arg) {
  (void)arg;
  printf("trylock held by another = %s\n", lock_result(pthread_mutex_trylock(&g_pi)));
  return NULL;
}

CASE(pi_mutex)
// covers: futex
{
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  printf("setprotocol = %s\n", lock_result(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT)));
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  printf("init = %s\n", lock_result(pthread_mutex_init(&g_pi, &a)));
  printf("lock = %s\n", lock_result(pthread_mutex_lock(&g_pi)));
  printf("relock = %s\n", lock_result(pthread_mutex_lock(&g_pi)));
  pthread_t t;
  pthread_create(&t, NULL, pi_try, NULL);
  pthread_join(t, NULL);
  printf("unlock = %s\n", lock_result(pthread_mutex_unlock(&g_pi)));
  printf("unlock again = %s\n", lock_result(pthread_mutex_unlock(&g_pi)));
  pthread_t w[4];
  for (int i = 0; i < 4; i++) pthread_create(&w[i], NULL, pi_worker, NULL);
  for (int i = 0; i < 4; i++) pthread_join(w[i], NULL);
  printf("counter %d\n", g_counter);
}

CASE(pi_robust_owner_dead)
// covers: futex set_robust_list exit
{
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&g_robust, &a);
  sem_init(&g_locked, 0, 0);
  pthread_t t;
  pthread_create(&t, NULL, lock_and_die, (void*)1);
  sem_wait(&g_locked);
  printf("blocked lock = %s\n", lock_result(pthread_mutex_lock(&g_robust)));
  pthread_join(t, NULL);
  printf("consistent = %s\n", lock_result(pthread_mutex_consistent(&g_robust)));
  printf("unlock = %s\n", lock_result(pthread_mutex_unlock(&g_robust)));
}

static long futex(uint32_t* w, int op, uint32_t val, const struct timespec* ts, uint32_t* w2, uint32_t val3) {
  return syscall(SYS_futex, w, op, val, ts, w2, val3);
}

static uint32_t g_other_word;
static sem_t g_other_up, g_other_go;

static void* hold_pi(void* arg) {
  (void)arg;
  futex(&g_other_word, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  sem_post(&g_other_up);
  sem_wait(&g_other_go);
  futex(&g_other_word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  return NULL;
}

CASE(futex_pi_ops)
// covers: futex
{
  static uint32_t w;
  uint32_t tid = (uint32_t)gettid();
  SHOW(futex(&w, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  printf("word is tid %d\n", w == tid);
  SHOW(futex(&w, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  SHOW(futex(&w, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
  SHOW(futex(&w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  printf("word %u\n", w);
  SHOW(futex(&w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  SHOW(futex(&w, FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0));
  printf("word is tid %d\n", w == tid);
  SHOW(futex(&w, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0));
  // An owner that does not exist.
  w = 0x3ffffff0;
  SHOW(futex(&w, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  SHOW(futex(&w, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
  // Owned by another thread: trylock fails and marks waiters; a timed lock
  // times out; the owner's unlock hands it to nobody.
  sem_init(&g_other_up, 0, 0);
  sem_init(&g_other_go, 0, 0);
  pthread_t t;
  pthread_create(&t, NULL, hold_pi, NULL);
  sem_wait(&g_other_up);
  SHOW(futex(&g_other_word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
  printf("waiters bit %d\n", (g_other_word & FUTEX_WAITERS) != 0);
  struct timespec past = {1, 0};  // LOCK_PI: absolute CLOCK_REALTIME
  SHOW(futex(&g_other_word, FUTEX_LOCK_PI, 0, &past, NULL, 0));
  sem_post(&g_other_go);
  pthread_join(t, NULL);
  printf("word after unlock %u\n", g_other_word);
  SHOW(futex(&g_other_word, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  printf("word is tid %d\n", g_other_word == tid);
  SHOW(futex(&g_other_word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  SHOW(futex((uint32_t*)BAD_PTR, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
}

static uint32_t g_bits_word;
static int g_bits_woken;

static void* wait_bits(void* arg) {
  long r = futex(&g_bits_word, FUTEX_WAIT_BITSET, 0, NULL, NULL, (uint32_t)(long)arg);
  if (r == 0) __atomic_add_fetch(&g_bits_woken, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

// Wakes with op until one thread is woken (the waiter may not be waiting yet).
static long wake_one(uint32_t* w, int op, uint32_t bits) {
  for (int i = 0; i < 2000; i++) {
    long r = futex(w, op, 1, NULL, NULL, bits);
    if (r != 0) return r;
    usleep(500);
  }
  return 0;
}

CASE(futex_bitset)
// covers: futex
{
  SHOW(futex(&g_bits_word, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0));
  SHOW(futex(&g_bits_word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0));
  SHOW(futex(&g_bits_word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 1));
  struct timespec past = {0, 1};  // absolute CLOCK_MONOTONIC, long gone
  SHOW(futex(&g_bits_word, FUTEX_WAIT_BITSET, 0, &past, NULL, ~0u));
  SHOW(futex(&g_bits_word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &past, NULL, ~0u));
  SHOW(futex(&g_bits_word, FUTEX_WAIT_BITSET, 1, &past, NULL, ~0u));
  pthread_t t;
  pthread_create(&t, NULL, wait_bits, (void*)2L);
  usleep(5000);
  SHOW(futex(&g_bits_word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 1));  // other bits: nobody
  printf("woken by bit 2: %ld\n", wake_one(&g_bits_word, FUTEX_WAKE_BITSET, 6));
  pthread_join(t, NULL);
  printf("waiter saw 0: %d\n", g_bits_woken);
}

static uint32_t g_rq_a, g_rq_b;
static long g_rq_result = -2;

static void* wait_a(void* arg) {
  (void)arg;
  g_rq_result = futex(&g_rq_a, FUTEX_WAIT, 0, NULL, NULL, 0);
  return NULL;
}

CASE(futex_requeue)
// covers: futex
{
  pthread_t t;
  pthread_create(&t, NULL, wait_a, NULL);
  SHOW(futex(&g_rq_a, FUTEX_CMP_REQUEUE, 0, (void*)1L, &g_rq_b, 7));  // a != 7
  long moved = 0;
  for (int i = 0; i < 2000 && moved == 0; i++) {
    moved = futex(&g_rq_a, FUTEX_CMP_REQUEUE, 0, (void*)1L, &g_rq_b, 0);
    if (moved == 0) usleep(500);
  }
  printf("requeued %ld\n", moved);
  SHOW(futex(&g_rq_a, FUTEX_WAKE, 1, NULL, NULL, 0));  // no longer on a
  SHOW(futex(&g_rq_b, FUTEX_WAKE, 1, NULL, NULL, 0));
  pthread_join(t, NULL);
  printf("waiter returned %ld\n", g_rq_result);
  SHOW(futex(&g_rq_a, FUTEX_REQUEUE, -1, (void*)1L, &g_rq_b, 0));
}
