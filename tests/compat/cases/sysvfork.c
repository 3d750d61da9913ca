// libc: glibc musl
// System V IPC and POSIX shared memory between the processes of a family
// (issue 14): a segment attached before a fork is one memory for parent and
// child (and counts the child's attachment), a semaphore blocks the child
// until the parent posts, a message crosses from child to parent, SEM_UNDO
// is undone when the child exits, and a /dev/shm mapping is shared. The child
// prints nothing: the parent reports after waiting, so the output's order is
// the same natively and under shoal.
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>

#include "compat.h"

struct message {
  long type;
  char text[64];
};

static void nap_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

CASE(shm_shared_with_child)
// covers: shmget shmat shmdt shmctl fork wait4
{
  int id = shmget(IPC_PRIVATE, 8192, 0600);
  char* p = shmat(id, NULL, 0);
  strcpy(p, "from the parent");
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    // What the child saw goes back through the segment itself.
    snprintf(p + 4096, 128, "child saw '%s', nattch %lu", p, (unsigned long)ds.shm_nattch);
    strcpy(p, "from the child");
    _exit(0);
  }
  int st;
  waitpid(child, &st, 0);
  printf("%s\n", p + 4096);
  printf("parent sees '%s'\n", p);
  struct shmid_ds ds;
  SHOW(shmctl(id, IPC_STAT, &ds));
  printf("nattch after the child's exit %lu\n", (unsigned long)ds.shm_nattch);
  SHOW(shmctl(id, IPC_RMID, NULL));
  SHOW(shmdt(p));
  SHOW(shmctl(id, IPC_STAT, &ds));
}

CASE(sem_and_msg_between_processes)
// covers: semget semop semctl msgget msgsnd msgrcv msgctl fork wait4
{
  int sem = semget(IPC_PRIVATE, 2, 0600);
  int q = msgget(IPC_PRIVATE, 0600);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    struct sembuf down = {0, -1, 0};
    int r = semop(sem, &down, 1);
    struct message m = {7, ""};
    snprintf(m.text, sizeof m.text, "child's semop returned %d", r);
    msgsnd(q, &m, strlen(m.text) + 1, 0);
    // Held with SEM_UNDO: given back when the child exits.
    struct sembuf take = {1, 3, SEM_UNDO};
    semop(sem, &take, 1);
    struct message done = {8, "done"};
    msgsnd(q, &done, 5, 0);
    nap_ms(30);
    _exit(0);
  }
  nap_ms(30);
  printf("child waiting: ncnt %d\n", semctl(sem, 0, GETNCNT));
  struct sembuf up = {0, 1, 0};
  SHOW(semop(sem, &up, 1));
  struct message m;
  long n = msgrcv(q, &m, sizeof m.text, 7, 0);
  printf("received %ld bytes, type %ld: %s\n", n, m.type, m.text);
  n = msgrcv(q, &m, sizeof m.text, 8, 0);
  printf("received %ld bytes, type %ld: %s; sem 1 is %d while the child lives\n", n, m.type, m.text,
         semctl(sem, 1, GETVAL));
  int st;
  waitpid(child, &st, 0);
  printf("after the child's exit: sem 1 is %d, last pid is the child's: %d\n", semctl(sem, 1, GETVAL),
         semctl(sem, 1, GETPID) == child);
  SHOW(semctl(sem, 0, IPC_RMID));
  SHOW(msgctl(q, IPC_RMID, NULL));
}

CASE(posix_shm_between_processes)
// covers: openat ftruncate mmap fork wait4 unlink
{
  char name[64];
  snprintf(name, sizeof name, "/shoal-sysvfork-%d", (int)getpid());
  int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  SHOW(ftruncate(fd, 4096));
  int* counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 1000; ++i) __atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
    // A name made by the child is seen by the parent.
    char other[80];
    snprintf(other, sizeof other, "%s-child", name);
    int cfd = shm_open(other, O_CREAT | O_RDWR, 0600);
    write(cfd, "made by the child", 17);
    _exit(0);
  }
  for (int i = 0; i < 1000; ++i) __atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
  int st;
  waitpid(child, &st, 0);
  printf("counter %d\n", *counter);
  char other[80];
  snprintf(other, sizeof other, "%s-child", name);
  int cfd = shm_open(other, O_RDONLY, 0);
  char buf[32] = {0};
  SHOW(read(cfd, buf, sizeof buf - 1));
  printf("child's file: %s\n", buf);
  SHOW(shm_unlink(other));
  SHOW(shm_unlink(name));
}

CASE(named_semaphore_between_processes)
// covers: openat mmap fork wait4 unlink
{
  char name[64];
  snprintf(name, sizeof name, "/shoal-sysvfork-sem-%d", (int)getpid());
  sem_t* s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    sem_t* mine = sem_open(name, 0);
    nap_ms(20);
    sem_post(mine);
    _exit(0);
  }
  SHOW(sem_wait(s));
  int st;
  waitpid(child, &st, 0);
  int v = -1;
  sem_getvalue(s, &v);
  printf("value after %d\n", v);
  SHOW(sem_unlink(name));
}
