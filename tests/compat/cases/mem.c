// mmap (anonymous), munmap, mprotect, mremap, msync, mincore, madvise, brk,
// mlock, munlock, mlockall, munlockall.
#include <sys/mman.h>

#include "compat.h"

CASE(mmap_anon_rw)
// covers: mmap munmap
{
  char* p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("ok %d aligned %d zero %d\n", p != MAP_FAILED, ((uintptr_t)p & 4095) == 0, p[12345] == 0);
  memset(p, 7, 1 << 20);
  printf("byte %d\n", p[(1 << 20) - 1]);
  SHOW(munmap(p, 1 << 20));
}

CASE(mmap_errors)
// covers: mmap
{
  void* m = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("len 0: %d %s\n", m == MAP_FAILED, errname(errno));
  m = mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0);
  printf("no share type: %d %s\n", m == MAP_FAILED, errname(errno));
  m = mmap((void*)0x1001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("unaligned fixed: %d %s\n", m == MAP_FAILED, errname(errno));
  m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 123);
  printf("unaligned offset: %d %s\n", m == MAP_FAILED, errname(errno));
}

CASE(mmap_fixed_replace)
// covers: mmap
{
  char* p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 1, 3 * 4096);
  char* q = mmap(p + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("same %d middle %d ends %d %d\n", q == p + 4096, p[4096], p[0], p[8192]);
}

CASE(mmap_many_regions)
// covers: mmap munmap
{
  void* ptrs[64];
  int ok = 0;
  for (int i = 0; i < 64; i++) {
    ptrs[i] = mmap(NULL, 4096 * (i + 1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ptrs[i] != MAP_FAILED) ok++, memset(ptrs[i], i, 4096 * (i + 1));
  }
  int good = 0;
  for (int i = 0; i < 64; i++) good += ((char*)ptrs[i])[4096 * (i + 1) - 1] == i;
  for (int i = 0; i < 64; i += 2) munmap(ptrs[i], 4096 * (i + 1));
  printf("mapped %d intact %d\n", ok, good);
}

CASE(munmap_errors)
// covers: munmap
{
  SHOW(munmap((void*)0x1001, 4096));
  SHOW(munmap(NULL, 0));
  char* p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW(munmap(p, 4096));
  SHOW(munmap(p, 4096));
}

CASE(mprotect_cases)
// covers: mprotect
{
  char* p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW(mprotect(p, 4096, PROT_READ));
  SHOW(mprotect(p, 8192, PROT_READ | PROT_WRITE));
  p[0] = 1;
  SHOW(mprotect(p + 1, 4096, PROT_READ));
  SHOW(mprotect(p, 4096, 0x1000));
}

CASE(mremap_grow)
// covers: mremap
{
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(p, "kept across mremap");
  char* q = mremap(p, 4096, 64 * 4096, MREMAP_MAYMOVE);
  printf("ok %d content %s tail zero %d\n", q != MAP_FAILED, q, q[64 * 4096 - 1] == 0);
  char* r = mremap(q, 64 * 4096, 4096, 0);
  printf("shrink in place %d\n", r == q);
  errno = 0;
  void* s = mremap((void*)0x1001, 4096, 8192, MREMAP_MAYMOVE);
  printf("unaligned %d %s\n", s == MAP_FAILED, errname(errno));
}

CASE(msync_mincore_madvise)
// covers: msync mincore madvise
{
  char* p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 1, 4 * 4096);
  SHOW(msync(p, 4096, MS_SYNC));
  SHOW(msync(p + 1, 4096, MS_SYNC));
  SHOW(msync(p, 4096, MS_SYNC | MS_ASYNC));
  unsigned char vec[4];
  SHOW(mincore(p, 4 * 4096, vec));
  printf("resident %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
  SHOW(mincore(p + 1, 4096, vec));
  SHOW(madvise(p, 4096, MADV_DONTNEED));
  printf("after DONTNEED %d\n", p[0]);
  SHOW(madvise(p, 4096, MADV_WILLNEED));
  SHOW(madvise(p + 1, 4096, MADV_NORMAL));
  SHOW(madvise(p, 4096, 12345));
}

CASE(brk_grow)
// covers: brk
{
  long cur = syscall(SYS_brk, 0);
  long want = cur + 256 * 1024;
  long got = syscall(SYS_brk, want);
  printf("grew %d\n", got == want);
  memset((void*)cur, 9, 256 * 1024);
  long back = syscall(SYS_brk, cur);
  printf("shrank %d\n", back == cur);
  printf("query stable %d\n", syscall(SYS_brk, 0) == cur);
  void* s = sbrk(4096);
  printf("sbrk %d\n", s != (void*)-1);
}

CASE(mlock_family)
// covers: mlock munlock mlockall munlockall
{
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW(mlock(p, 4096));
  SHOW(munlock(p, 4096));
  SHOW(mlockall(MCL_CURRENT));
  SHOW(munlockall());
  SHOW(mlockall(0));
}

CASE(malloc_stress)
// covers: brk mmap munmap
{
  unsigned long sum = 0;
  for (int round = 0; round < 4; round++) {
    void* ptrs[200];
    for (int i = 0; i < 200; i++) {
      size_t sz = (size_t)((i * 7919) % 200000) + 1;
      ptrs[i] = malloc(sz);
      memset(ptrs[i], i, sz);
      sum += ((unsigned char*)ptrs[i])[sz - 1];
    }
    for (int i = 0; i < 200; i++) free(ptrs[i]);
  }
  printf("sum %lu\n", sum);
}
