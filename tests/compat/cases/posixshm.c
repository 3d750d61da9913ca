// libc: glibc musl
// POSIX shared memory (issue 14): shm_open/ftruncate/mmap(MAP_SHARED) with two
// mappings of one object seeing each other's writes, read/write/fstat through
// the descriptor, shm_unlink with a mapping still alive, the errors
// (ENOENT, EEXIST), and a named semaphore (sem_open maps a /dev/shm file:
// two sem_open of one name must share the counter). Names carry the pid so
// that concurrent native runs never meet; every case unlinks what it made.
#include <semaphore.h>
#include <sys/mman.h>

#include "compat.h"

static const char* own_name(const char* base) {
  static char buf[4][64];
  static int next;
  char* b = buf[next++ & 3];
  snprintf(b, 64, "/%s-%d", base, (int)getpid());
  return b;
}

CASE(shm_open_two_mappings)
// covers: openat ftruncate mmap munmap fstat unlink
{
  const char* name = own_name("shoal-posixshm");
  int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  OK(fd);
  SHOW(ftruncate(fd, 3 * 4096));
  char* a = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char* b = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("mapped: %d %d\n", a != MAP_FAILED, b != MAP_FAILED);
  printf("zero: %d\n", a[0] == 0 && a[3 * 4096 - 1] == 0);
  strcpy(a + 4096, "through the first mapping");
  printf("second mapping reads: %s\n", b + 4096);
  b[10] = 'x';
  printf("first mapping reads: %c\n", a[10]);
  char buf[64] = {0};
  SHOW(pread(fd, buf, 25, 4096));
  printf("file reads: %s\n", buf);
  SHOW(pwrite(fd, "written", 7, 8192));
  printf("mapping reads the write: %.7s\n", a + 8192);
  // A third mapping at an offset.
  char* c = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
  printf("offset mapping reads: %s\n", c);
  struct stat st;
  SHOW(fstat(fd, &st));
  printf("size %lld mode %o regular %d\n", (long long)st.st_size, st.st_mode & 0777, S_ISREG(st.st_mode));
  // Opened again by name: the same object.
  int fd2 = shm_open(name, O_RDWR, 0);
  OK(fd2);
  char* d = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
  printf("reopened reads: %c\n", d[10]);
  SHOW(shm_unlink(name));
  SHOW(shm_open(name, O_RDWR, 0));
  // Still mapped after the unlink: the memory stays.
  d[11] = 'y';
  printf("after unlink: %c\n", a[11]);
  SHOW(munmap(a, 3 * 4096));
  SHOW(munmap(b, 3 * 4096));
  SHOW(munmap(c, 4096));
  SHOW(munmap(d, 4096));
  close(fd);
  close(fd2);
}

CASE(shm_open_errors)
// covers: openat unlink ftruncate mmap
{
  const char* name = own_name("shoal-posixshm-err");
  SHOW(shm_open(name, O_RDWR, 0));
  SHOW(shm_unlink(name));
  int fd = shm_open(name, O_CREAT | O_RDWR, 0640);
  OK(fd);
  SHOW(shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600));
  struct stat st;
  SHOW(fstat(fd, &st));
  printf("size %lld mode %o\n", (long long)st.st_size, st.st_mode & 0777);
  // Read-only descriptor: a shared writable mapping is refused.
  int ro = shm_open(name, O_RDONLY, 0);
  SHOW(ftruncate(fd, 4096));
  SHOW((long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
  char* p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
  printf("read-only mapping: %d\n", p != MAP_FAILED);
  // Growing, shrinking: cut bytes read as zero when it grows again.
  SHOW(pwrite(fd, "abcdef", 6, 100));
  SHOW(ftruncate(fd, 102));
  SHOW(ftruncate(fd, 200));
  char buf[8] = {0};
  SHOW(pread(fd, buf, 6, 100));
  printf("bytes %d %d %d %d\n", buf[0], buf[1], buf[2], buf[3]);
  SHOW(shm_unlink(name));
  SHOW(shm_unlink(name));
  close(fd);
  close(ro);
}

CASE(named_semaphore)
// covers: openat mmap unlink
{
  const char* name = own_name("shoal-sem");
  sem_t* a = sem_open(name, O_CREAT | O_EXCL, 0600, 2);
  printf("opened: %d\n", a != SEM_FAILED);
  sem_t* b = sem_open(name, 0);
  printf("opened again: %d\n", b != SEM_FAILED);
  int v = -1;
  SHOW(sem_wait(a));
  SHOW(sem_getvalue(b, &v));
  printf("value seen through the other: %d\n", v);
  SHOW(sem_trywait(b));
  SHOW(sem_trywait(a));
  SHOW(sem_post(b));
  SHOW(sem_getvalue(a, &v));
  printf("value %d\n", v);
  SHOW(sem_unlink(name));
  SHOW(sem_close(a));
  SHOW(sem_close(b));
}
