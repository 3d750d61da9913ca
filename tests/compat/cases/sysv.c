// libc: glibc musl
// System V IPC (issue 14): shared memory segments (shmget/shmat/shmdt/shmctl
// with Linux's "destroy at last detach"), semaphores (semop blocking with a
// second thread releasing it, IPC_NOWAIT, semtimedop's timeout, SETALL/GETALL
// and the per-semaphore facts) and message queues (types, msgtyp < 0,
// MSG_EXCEPT, IPC_NOWAIT, E2BIG and MSG_NOERROR, a full queue). Natively the
// objects live in the host's IPC namespace: every case removes what it made,
// and keys are derived from the pid so that concurrent runs never meet.
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#include "compat.h"

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

static key_t own_key(int n) { return (key_t)(0x5e000000 | ((getpid() & 0xfffff) << 4) | n); }

static void sleep_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

CASE(shm_attach_detach)
// covers: shmget shmat shmdt shmctl
{
  int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
  OK(id);
  char* p = shmat(id, NULL, 0);
  char* q = shmat(id, NULL, 0);
  printf("attached: %d %d\n", p != (char*)-1, q != (char*)-1);
  printf("zero filled: %d %d\n", p[0] == 0 && p[9999] == 0, q[4096] == 0);
  strcpy(p + 5000, "written through one attachment");
  printf("other attachment reads: %s\n", q + 5000);
  struct shmid_ds ds;
  SHOW(shmctl(id, IPC_STAT, &ds));
  printf("segsz %zu nattch %lu mode %o key %d cpid-is-me %d lpid-is-me %d atime-set %d dtime %ld\n",
         (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777, (int)ds.shm_perm.__key,
         ds.shm_cpid == getpid(), ds.shm_lpid == getpid(), ds.shm_atime != 0, (long)ds.shm_dtime);
  SHOW(shmdt(p));
  SHOW(shmctl(id, IPC_STAT, &ds));
  printf("nattch %lu dtime-set %d\n", (unsigned long)ds.shm_nattch, ds.shm_dtime != 0);
  // Removed while attached: it stays until the last detach, marked.
  SHOW(shmctl(id, IPC_RMID, NULL));
  SHOW(shmctl(id, IPC_STAT, &ds));
  printf("nattch %lu dest %d key %d\n", (unsigned long)ds.shm_nattch, (ds.shm_perm.mode & SHM_DEST) != 0,
         (int)ds.shm_perm.__key);
  printf("still readable: %s\n", q + 5000);
  SHOW(shmdt(q));
  SHOW(shmctl(id, IPC_STAT, &ds));
  SHOW(shmdt(q));
  SHOW((long)shmat(id, NULL, 0));
}

CASE(shm_keys_errors)
// covers: shmget shmat shmctl
{
  key_t key = own_key(1);
  int id = shmget(key, 4096, IPC_CREAT | 0640);
  OK(id);
  SHOW(shmget(key, 4096, 0) == id);
  SHOW(shmget(key, 100, IPC_CREAT) == id);
  SHOW(shmget(key, 8192, 0));
  SHOW(shmget(key, 4096, IPC_CREAT | IPC_EXCL));
  SHOW(shmget(own_key(2), 4096, 0));
  SHOW(shmget(IPC_PRIVATE, 0, IPC_CREAT));
  SHOW((long)shmat(-1, NULL, 0));
  SHOW((long)shmat(id, (void*)0x12345, 0));
  SHOW(shmctl(id, 9999, NULL));
  SHOW(shmctl(-1, IPC_STAT, NULL));
  struct shmid_ds ds;
  SHOW(shmctl(id, IPC_STAT, &ds));
  printf("mode %o segsz %zu key-is-mine %d\n", ds.shm_perm.mode & 0777, (size_t)ds.shm_segsz,
         ds.shm_perm.__key == key);
  ds.shm_perm.mode = 0604;
  SHOW(shmctl(id, IPC_SET, &ds));
  SHOW(shmctl(id, IPC_STAT, &ds));
  printf("mode %o\n", ds.shm_perm.mode & 0777);
  SHOW(shmctl(id, IPC_RMID, NULL));
  // No attachment: gone at once, and its key with it.
  SHOW(shmget(key, 4096, 0));
  SHOW(shmctl(id, IPC_STAT, &ds));
}

CASE(shm_reuse_zeroed)
// covers: shmget shmat shmdt shmctl
{
  // A segment's memory is zero even where a removed one wrote before.
  for (int round = 0; round < 3; ++round) {
    int id = shmget(IPC_PRIVATE, 3 * 4096, 0600);
    unsigned char* p = shmat(id, NULL, 0);
    int zero = 1;
    for (int i = 0; i < 3 * 4096; ++i) zero &= p[i] == 0;
    memset(p, 0xab, 3 * 4096);
    printf("round %d zero %d\n", round, zero);
    shmctl(id, IPC_RMID, NULL);
    shmdt(p);
  }
}

CASE(sem_values)
// covers: semget semop semctl
{
  int id = semget(IPC_PRIVATE, 3, 0600);
  OK(id);
  union semun arg;
  SHOW(semctl(id, 0, GETVAL));
  arg.val = 5;
  SHOW(semctl(id, 0, SETVAL, arg));
  SHOW(semctl(id, 0, GETVAL));
  unsigned short vals[3] = {1, 2, 3}, got[3] = {0};
  arg.array = vals;
  SHOW(semctl(id, 0, SETALL, arg));
  arg.array = got;
  SHOW(semctl(id, 0, GETALL, arg));
  printf("all %u %u %u\n", got[0], got[1], got[2]);
  struct sembuf ops[2] = {{0, -1, 0}, {2, 2, 0}};
  SHOW(semop(id, ops, 2));
  printf("after %d %d %d\n", semctl(id, 0, GETVAL), semctl(id, 1, GETVAL), semctl(id, 2, GETVAL));
  SHOW(semctl(id, 2, GETPID) == getpid());
  // All or nothing: the second op would block, so the first is not applied.
  struct sembuf two[2] = {{1, -1, 0}, {0, -1, IPC_NOWAIT}};
  SHOW(semop(id, two, 2));
  SHOW(semctl(id, 1, GETVAL));
  struct sembuf zero = {0, 0, IPC_NOWAIT};
  SHOW(semop(id, &zero, 1));
  struct sembuf bad = {3, 1, 0};
  SHOW(semop(id, &bad, 1));
  SHOW(semop(id, ops, 0));
  struct sembuf big = {1, 32767, 0};
  SHOW(semop(id, &big, 1));
  arg.val = 40000;
  SHOW(semctl(id, 0, SETVAL, arg));
  arg.val = -1;
  SHOW(semctl(id, 0, SETVAL, arg));
  SHOW(semctl(id, 3, GETVAL));
  struct semid_ds ds;
  arg.buf = &ds;
  SHOW(semctl(id, 0, IPC_STAT, arg));
  printf("nsems %lu mode %o otime-set %d\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777, ds.sem_otime != 0);
  SHOW(semctl(id, 0, IPC_RMID));
  SHOW(semctl(id, 0, GETVAL));
  SHOW(semop(id, ops, 1));
}

CASE(sem_keys_errors)
// covers: semget semctl
{
  key_t key = own_key(3);
  int id = semget(key, 2, IPC_CREAT | 0600);
  OK(id);
  SHOW(semget(key, 2, 0) == id);
  SHOW(semget(key, 0, 0) == id);
  SHOW(semget(key, 3, 0));
  SHOW(semget(key, 1, IPC_CREAT | IPC_EXCL));
  SHOW(semget(own_key(4), 1, 0));
  SHOW(semget(IPC_PRIVATE, 0, 0600));
  SHOW(semget(IPC_PRIVATE, -1, 0600));
  SHOW(semctl(id, 0, 9999));
  SHOW(semctl(id, 0, IPC_RMID));
  SHOW(semget(key, 2, 0));
}

static int g_sem;
static long g_result = -2;
static int g_errno;

static void* sem_waiter(void* arg) {
  (void)arg;
  struct sembuf op = {0, -2, 0};
  g_result = semop(g_sem, &op, 1);
  g_errno = errno;
  return NULL;
}

CASE(sem_block_released_by_thread)
// covers: semop semctl
{
  g_sem = semget(IPC_PRIVATE, 1, 0600);
  pthread_t t;
  pthread_create(&t, NULL, sem_waiter, NULL);
  sleep_ms(50);
  printf("waiting: result %ld ncnt %d zcnt %d\n", g_result, semctl(g_sem, 0, GETNCNT), semctl(g_sem, 0, GETZCNT));
  struct sembuf one = {0, 1, 0};
  SHOW(semop(g_sem, &one, 1));
  sleep_ms(20);
  printf("one is not enough: result %ld\n", g_result);
  SHOW(semop(g_sem, &one, 1));
  pthread_join(t, NULL);
  printf("released: result %ld value %d ncnt %d\n", g_result, semctl(g_sem, 0, GETVAL), semctl(g_sem, 0, GETNCNT));
  semctl(g_sem, 0, IPC_RMID);
}

CASE(sem_removed_while_waiting)
// covers: semop semctl
{
  g_sem = semget(IPC_PRIVATE, 1, 0600);
  g_result = -2;
  pthread_t t;
  pthread_create(&t, NULL, sem_waiter, NULL);
  sleep_ms(30);
  SHOW(semctl(g_sem, 0, IPC_RMID));
  pthread_join(t, NULL);
  printf("waiter: %ld %s\n", g_result, g_result < 0 ? errname(g_errno) : "");
}

CASE(semtimedop_timeout)
// covers: semtimedop semctl
{
  int id = semget(IPC_PRIVATE, 1, 0600);
  struct sembuf op = {0, -1, 0};
  struct timespec ts = {0, 60 * 1000000L};
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  SHOW(semtimedop(id, &op, 1, &ts));
  clock_gettime(CLOCK_MONOTONIC, &b);
  long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  printf("waited at least the timeout: %d\n", ms >= 55);
  struct timespec bad = {0, 2000000000L};
  SHOW(semtimedop(id, &op, 1, &bad));
  struct sembuf zero = {0, 0, 0};
  SHOW(semtimedop(id, &zero, 1, &ts));
  semctl(id, 0, IPC_RMID);
}

struct msg {
  long type;
  char text[200];
};

static int send_text(int id, long type, const char* text, int flags) {
  struct msg m;
  m.type = type;
  strcpy(m.text, text);
  return msgsnd(id, &m, strlen(text) + 1, flags);
}

static void show_recv(int id, size_t size, long type, int flags) {
  struct msg m;
  memset(&m, 0, sizeof m);
  long n = msgrcv(id, &m, size, type, flags);
  if (n < 0)
    printf("msgrcv(%zu, %ld, %#x) = -1 %s\n", size, type, flags, errname(errno));
  else
    printf("msgrcv(%zu, %ld, %#x) = %ld type %ld text %.*s\n", size, type, flags, n, m.type, (int)n, m.text);
}

CASE(msg_types)
// covers: msgget msgsnd msgrcv msgctl
{
  int id = msgget(IPC_PRIVATE, 0600);
  OK(id);
  SHOW(send_text(id, 3, "three", 0));
  SHOW(send_text(id, 1, "one", 0));
  SHOW(send_text(id, 2, "two", 0));
  SHOW(send_text(id, 1, "one again", 0));
  SHOW(send_text(id, 5, "five", 0));
  struct msqid_ds ds;
  SHOW(msgctl(id, IPC_STAT, &ds));
  printf("qnum %lu cbytes %lu qbytes %lu lspid-is-me %d lrpid %d\n", (unsigned long)ds.msg_qnum,
         (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_lspid == getpid(), ds.msg_lrpid);
  show_recv(id, 200, 2, 0);
  show_recv(id, 200, -4, 0);
  show_recv(id, 200, 3, MSG_EXCEPT);
  show_recv(id, 200, 0, 0);
  show_recv(id, 200, 7, IPC_NOWAIT);
  show_recv(id, 200, -2, IPC_NOWAIT);
  show_recv(id, 200, 0, 0);
  show_recv(id, 200, 0, IPC_NOWAIT);
  SHOW(msgctl(id, IPC_STAT, &ds));
  printf("qnum %lu cbytes %lu lrpid-is-me %d\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
         ds.msg_lrpid == getpid());
  SHOW(msgctl(id, IPC_RMID, NULL));
  SHOW(send_text(id, 1, "gone", 0));
  SHOW(msgctl(id, IPC_STAT, &ds));
}

CASE(msg_sizes_errors)
// covers: msgget msgsnd msgrcv msgctl
{
  int id = msgget(IPC_PRIVATE, 0600);
  SHOW(send_text(id, 4, "a rather long message text", 0));
  show_recv(id, 5, 0, IPC_NOWAIT);
  show_recv(id, 5, 0, MSG_NOERROR | IPC_NOWAIT);
  show_recv(id, 5, 0, IPC_NOWAIT);
  SHOW(send_text(id, 0, "type zero", 0));
  SHOW(send_text(id, -3, "negative", 0));
  static struct {
    long type;
    char text[20000];
  } big = {1, {0}};
  SHOW(msgsnd(id, &big, 8193, 0));
  // A full queue: 16384 bytes by default.
  SHOW(msgsnd(id, &big, 8192, 0));
  SHOW(msgsnd(id, &big, 8192, 0));
  SHOW(msgsnd(id, &big, 1, IPC_NOWAIT));
  struct msqid_ds ds;
  SHOW(msgctl(id, IPC_STAT, &ds));
  printf("qnum %lu cbytes %lu\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes);
  // Lowering msg_qbytes needs no privilege (raising it past MSGMNB does).
  ds.msg_qbytes = 16000;
  SHOW(msgctl(id, IPC_SET, &ds));
  SHOW(msgrcv(id, &big, 8192, 0, IPC_NOWAIT));
  SHOW(msgsnd(id, &big, 1, IPC_NOWAIT));
  SHOW(msgsnd(id, &big, 8192, IPC_NOWAIT));
  SHOW(msgctl(id, IPC_STAT, &ds));
  printf("qnum %lu qbytes %lu\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.msg_qbytes);
  key_t key = own_key(5);
  int k = msgget(key, IPC_CREAT | 0600);
  SHOW(msgget(key, 0) == k);
  SHOW(msgget(key, IPC_CREAT | IPC_EXCL));
  SHOW(msgget(own_key(6), 0));
  SHOW(msgctl(k, IPC_RMID, NULL));
  SHOW(msgctl(id, IPC_RMID, NULL));
  SHOW(msgctl(id, 9999, &ds));
}

static int g_queue;
static struct msg g_received;

// Prints nothing itself: the main thread reports after the join, so the
// output's order does not depend on who runs first.
static void* msg_receiver(void* arg) {
  (void)arg;
  g_result = msgrcv(g_queue, &g_received, sizeof g_received.text, 9, 0);
  return NULL;
}

CASE(msg_block_released_by_thread)
// covers: msgget msgsnd msgrcv msgctl
{
  g_queue = msgget(IPC_PRIVATE, 0600);
  g_result = -2;
  pthread_t t;
  pthread_create(&t, NULL, msg_receiver, NULL);
  sleep_ms(30);
  SHOW(send_text(g_queue, 8, "not for it", 0));
  sleep_ms(20);
  printf("still waiting: %ld\n", g_result);
  SHOW(send_text(g_queue, 9, "for it", 0));
  pthread_join(t, NULL);
  printf("receiver got %ld bytes of type %ld: %s\n", g_result, g_received.type, g_received.text);
  show_recv(g_queue, 200, 0, IPC_NOWAIT);
  msgctl(g_queue, IPC_RMID, NULL);
}

