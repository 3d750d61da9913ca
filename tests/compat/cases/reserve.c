// Address-space reservations (issue 11 point 1): mmap PROT_NONE with
// MAP_NORESERVE reserves address space for free, as Go's arenas, glibc's
// thread heaps and JIT code spaces need; the parts a program maps readable or
// writable afterwards (MAP_FIXED or mprotect) are usable memory, and a touch
// of a part never made accessible faults (SIGSEGV, status 139).
#include <sys/mman.h>

#include "compat.h"

#define RESERVE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

static void reserve_and_release(const char* label, size_t len) {
  char* p = mmap(NULL, len, PROT_NONE, RESERVE_FLAGS, -1, 0);
  printf("%s: reserved %d", label, p != MAP_FAILED);
  if (p != MAP_FAILED) printf(", munmap %d", munmap(p, len));
  printf("\n");
  fflush(stdout);
}

CASE(reserve_large)
// covers: mmap munmap
{
  reserve_and_release("600 MiB", 600ul << 20);
  reserve_and_release("4 GiB", 4ul << 30);
  reserve_and_release("64 GiB", 64ul << 30);
  // Several at once, as a runtime does (they are only address space).
  char* a = mmap(NULL, 64ul << 30, PROT_NONE, RESERVE_FLAGS, -1, 0);
  char* b = mmap(NULL, 64ul << 30, PROT_NONE, RESERVE_FLAGS, -1, 0);
  printf("two 64 GiB at once: %d, disjoint %d\n", a != MAP_FAILED && b != MAP_FAILED,
         a + (64ul << 30) <= b || b + (64ul << 30) <= a);
  munmap(a, 64ul << 30);
  munmap(b, 64ul << 30);
}

CASE(reserve_then_commit)
// covers: mmap mprotect munmap madvise
{
  size_t len = 1ul << 30;
  char* p = mmap(NULL, len, PROT_NONE, RESERVE_FLAGS, -1, 0);
  printf("reserved %d\n", p != MAP_FAILED);
  // Go's sysMap: a part becomes read-write with MAP_FIXED.
  char* q = mmap(p + (100ul << 20), 4ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
  printf("fixed part %d, zero %d\n", q == p + (100ul << 20), q[0] == 0 && q[(4 << 20) - 1] == 0);
  memset(q, 0x5a, 4ul << 20);
  // glibc's thread heaps: another part becomes read-write with mprotect.
  SHOW(mprotect(p + (512ul << 20), 3 * 4096, PROT_READ | PROT_WRITE));
  char* r = p + (512ul << 20);
  r[0] = 1, r[3 * 4096 - 1] = 2;
  printf("values %d %d %d %d\n", q[0], q[(4 << 20) - 1], r[0], r[3 * 4096 - 1]);
  // The committed bytes reach the kernel: write() reads them.
  int fds[2];
  pipe(fds);
  SHOW(write(fds[1], q + 4000, 200));
  char buf[200];
  SHOW(read(fds[0], buf, sizeof buf));
  printf("pipe copy %d\n", buf[0] == 0x5a && buf[199] == 0x5a);
  SHOW(madvise(q, 4096, MADV_DONTNEED));
  printf("after DONTNEED %d %d\n", q[0], q[4096]);
  // Mapping the part again gives zeros.
  q = mmap(q, 4ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("remapped zero %d\n", q[4096] == 0 && q[(4 << 20) - 1] == 0);
  SHOW(munmap(p, len));
}

CASE(reserve_at_hint)
// covers: mmap munmap
{
  // Go asks for its arenas at 0xc000000000 and uses the hint only if it is
  // given exactly.
  void* hint = (void*)0xc000000000ul;
  char* p = mmap(hint, 64ul << 20, PROT_NONE, RESERVE_FLAGS, -1, 0);
  printf("at hint %d\n", (void*)p == hint);
  char* q = mmap(p, 64ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  q[0] = 3, q[(64 << 20) - 1] = 4;
  printf("fixed %d values %d %d\n", q == p, q[0], q[(64 << 20) - 1]);
  char* n = mmap(p, 4096, PROT_NONE, RESERVE_FLAGS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("noreplace over it: %d %s\n", n == MAP_FAILED, errname(errno));
  SHOW(munmap(p, 64ul << 20));
}

CASE(reserve_mremap)
// covers: mremap
{
  char* p = mmap(NULL, 8ul << 30, PROT_NONE, RESERVE_FLAGS, -1, 0);
  char* q = mmap(p, 2ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  memset(q, 9, 2ul << 20);
  munmap(p + (2ul << 20), (8ul << 30) - (2ul << 20));
  char* r = mremap(q, 2ul << 20, 16ul << 20, MREMAP_MAYMOVE);
  printf("grown %d kept %d %d\n", r != MAP_FAILED, r[0], r[(2 << 20) - 1]);
  r[(16 << 20) - 1] = 7;
  printf("tail %d\n", r[(16 << 20) - 1]);
  SHOW(munmap(r, 16ul << 20));
}

CASE(reserve_touch_faults)
// covers: mmap
{
  // A reservation is not memory: touching it ends the program with SIGSEGV.
  volatile char* p = mmap(NULL, 64ul << 20, PROT_NONE, RESERVE_FLAGS, -1, 0);
  printf("reserved %d\n", p != MAP_FAILED);
  fflush(stdout);
  p[12345] = 1;
  printf("not reached\n");
}

CASE(reserve_guard_faults)
// covers: mmap mprotect
{
  // A 4 GiB reservation of which 2 MiB was made read-write: past its end faults.
  char* p = mmap(NULL, 4ul << 30, PROT_NONE, RESERVE_FLAGS, -1, 0);
  SHOW(mprotect(p, 2ul << 20, PROT_READ | PROT_WRITE));
  p[(2ul << 20) - 1] = 1;
  printf("inside ok %d\n", p[(2ul << 20) - 1]);
  fflush(stdout);
  ((volatile char*)p)[(4ul << 20) + 5] = 1;
  printf("not reached\n");
}

SHOAL_CASE(commit_bounded_by_memory)
// covers: mmap mprotect
{
  // Under shoal, --memory (512 MiB by default) bounds what is committed: a
  // commit past it fails with ENOMEM and the program goes on. (Linux
  // overcommits, so this case is shoal's own.)
  char* p = mmap(NULL, 64ul << 30, PROT_NONE, RESERVE_FLAGS, -1, 0);
  printf("reserved %d\n", p != MAP_FAILED);
  long r = mprotect(p, 2ul << 30, PROT_READ | PROT_WRITE);
  printf("commit 2 GiB: %ld %s\n", r, r ? errname(errno) : "");
  char* q = mmap(p + (8ul << 30), 2ul << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("fixed 2 GiB: %d %s\n", q == MAP_FAILED, errname(errno));
  r = mprotect(p, 64ul << 20, PROT_READ | PROT_WRITE);
  printf("commit 64 MiB: %ld\n", r);
  p[(64 << 20) - 1] = 5;
  printf("value %d\n", p[(64 << 20) - 1]);
  SHOW(munmap(p, 64ul << 30));
}
