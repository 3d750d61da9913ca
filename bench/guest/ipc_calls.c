// bench/ipc_calls (issue 14): what System V IPC and POSIX shared memory calls
// cost. Run natively and under shoal by bench/ipc_calls.sh; prints one line
// per row: NAME MEDIAN_US (medians of RUNS). The first call under shoal also
// installs the family region's memory slot: it is made before the timing.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

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

static int g_sem;

// The other side of the ping-pong: waits on semaphore 0, posts semaphore 1.
static void* pong(void* arg) {
  (void)arg;
  struct sembuf down = {0, -1, 0}, up = {1, 1, 0};
  for (int i = 0; i < RUNS; ++i) {
    semop(g_sem, &down, 1);
    semop(g_sem, &up, 1);
  }
  return NULL;
}

int main(void) {
  static double t_get[RUNS], t_at[RUNS], t_touch[RUNS], t_dt[RUNS], t_op[RUNS], t_msg[RUNS], t_ping[RUNS],
      t_open[RUNS], t_map[RUNS];
  // Warm-up: the family region's slot (shoal) and the first ids.
  int warm = shmget(IPC_PRIVATE, 4096, 0600);
  shmctl(warm, IPC_RMID, NULL);

  for (int i = 0; i < RUNS; ++i) {
    double a = now_us();
    int id = shmget(IPC_PRIVATE, 64 << 10, 0600);
    double b = now_us();
    char* p = shmat(id, NULL, 0);
    double c = now_us();
    memset(p, 1, 64 << 10);
    double d = now_us();
    shmdt(p);
    shmctl(id, IPC_RMID, NULL);
    double e = now_us();
    t_get[i] = b - a, t_at[i] = c - b, t_touch[i] = d - c, t_dt[i] = e - d;
  }
  printf("shmget_64k %.1f\n", median(t_get));
  printf("shmat %.1f\n", median(t_at));
  printf("write_64k_segment %.1f\n", median(t_touch));
  printf("shmdt_rmid %.1f\n", median(t_dt));

  g_sem = semget(IPC_PRIVATE, 2, 0600);
  for (int i = 0; i < RUNS; ++i) {
    struct sembuf ops[2] = {{0, 1, 0}, {0, -1, 0}};
    double a = now_us();
    semop(g_sem, &ops[0], 1);
    semop(g_sem, &ops[1], 1);
    t_op[i] = (now_us() - a) / 2;
  }
  printf("semop_uncontended %.1f\n", median(t_op));

  pthread_t t;
  pthread_create(&t, NULL, pong, NULL);
  for (int i = 0; i < RUNS; ++i) {
    struct sembuf up = {0, 1, 0}, down = {1, -1, 0};
    double a = now_us();
    semop(g_sem, &up, 1);
    semop(g_sem, &down, 1);
    t_ping[i] = now_us() - a;
  }
  pthread_join(t, NULL);
  printf("semop_ping_pong_threads %.1f\n", median(t_ping));
  semctl(g_sem, 0, IPC_RMID);

  int q = msgget(IPC_PRIVATE, 0600);
  struct {
    long type;
    char text[64];
  } m = {1, "a message of sixty-four bytes, more or less, for the queue"};
  for (int i = 0; i < RUNS; ++i) {
    double a = now_us();
    msgsnd(q, &m, sizeof m.text, 0);
    msgrcv(q, &m, sizeof m.text, 0, 0);
    t_msg[i] = now_us() - a;
  }
  printf("msgsnd_msgrcv_64 %.1f\n", median(t_msg));
  msgctl(q, IPC_RMID, NULL);

  char name[64];
  snprintf(name, sizeof name, "/bench-ipc-%d", (int)getpid());
  for (int i = 0; i < RUNS; ++i) {
    double a = now_us();
    int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    ftruncate(fd, 64 << 10);
    double b = now_us();
    char* p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    p[0] = 1;
    munmap(p, 64 << 10);
    double c = now_us();
    close(fd);
    shm_unlink(name);
    t_open[i] = b - a, t_map[i] = c - b;
  }
  printf("shm_open_ftruncate %.1f\n", median(t_open));
  printf("mmap_shared_touch_munmap %.1f\n", median(t_map));
  return 0;
}
